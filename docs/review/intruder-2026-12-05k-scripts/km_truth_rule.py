"""TRUTH CHECK ONLY: for each example wave x public, compare the drawn step levels (SVG) with the exact KM at those days,
and count events / censored demands between consecutive drawn steps, and at-risk at the last drawn step."""
import pandas as pd,json
c=pd.read_parquet('/tmp/redteam12/truth/example/clean/census.parquet')
s=c[c.outcome.isin(['suivi_propose','liste_attente'])]
ends={'2020_11':pd.Timestamp('2021-02-28'),'2022_11':pd.Timestamp('2023-02-28')}
cur=json.load(open('/tmp/redteam12/work/F/out/km_curves.json'))
names={'#0072b2':'enfant','#e69f00':'adolescent','#009e73':'adulte','#cc79a7':'personne_agee'}
for ax,(title,curves) in cur.items():
    w='2020_11' if title=='Vague 1' else '2022_11'
    for gid,col,P in curves:
        if P[0][0]<0: continue
        p=names[col]; g=s[(s.wave==w)&(s.public==p)]
        t=(g.first_appointment.fillna(ends[w])-g.demand_date).dt.days; ev=g.first_appointment.notna()
        steps=[(P[i][0],P[i][1]) for i in range(1,len(P)) if abs(P[i][0]-P[i-1][0])<1e-6 and P[i][1]!=P[i-1][1]]
        S=1.0;n=len(g);km={}
        for day in sorted(set(t)):
            d=int(((t==day)&ev).sum()); cc=int(((t==day)&~ev).sum())
            if d: S*=1-d/n
            km[day]=(S,n); n-=d+cc
        prev=-1; bad=[]; maxerr=0
        for day,v in steps:
            day=int(round(day)); Sd=[km[k][0] for k in km if k<=day][-1]; maxerr=max(maxerr,abs(Sd*100-v))
            d=int(((t>prev)&(t<=day)&ev).sum()); cz=int(((t>=max(prev,0))&(t<day)&~ev).sum())
            if d<5 or 0<cz<5: bad.append((day,d,cz))
            prev=day
        atrisk=int((t>prev).sum())+int(((t==prev)).sum())
        print(f'{title} {p:14s} n0={len(g)} steps={len(steps)} max|drawn-KM|={maxerr:.3f}pt  rule breaches (day,events,censored)={bad}  at risk at last step={atrisk}')
