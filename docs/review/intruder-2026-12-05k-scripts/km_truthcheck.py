"""TRUTH CHECK ONLY (after attack): example census KM inputs per wave/public: n0 (suivi+attente), events, censored."""
import pandas as pd
c=pd.read_parquet('/tmp/redteam12/truth/example/clean/census.parquet')
print(c.columns.tolist())
s=c[c.outcome.isin(['suivi_propose','liste_attente'])]
print(s.groupby(['wave','public'],dropna=False).size())
dcols=[x for x in c.columns if 'date' in x or 'rdv' in x or 'appoint' in x]
print(dcols)
import numpy as np
ends={'2020_11':pd.Timestamp('2021-02-28'),'2022_11':pd.Timestamp('2023-02-28')}
for (w,p),g in s.groupby(['wave','public']):
    if p!='personne_agee': continue
    t=(g.first_appointment.fillna(ends[w])-g.demand_date).dt.days
    ev=g.first_appointment.notna()
    # also check censoring date range
    print(w,p,'n',len(g),'events',ev.sum(),'censored',(~ev).sum(),'max appt',g.first_appointment.max(),'max demand',g.demand_date.max())
    S=1.0; n=len(g); out=[]
    for day in sorted(set(t)):
        d=((t==day)&ev).sum(); cc=((t==day)&~ev).sum()
        if d: S*=1-d/n
        out.append((day,d,cc,n,round(S*100,1))); n-=d+cc
    print([o for o in out if o[0]<=30])
