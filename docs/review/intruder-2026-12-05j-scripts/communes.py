import sys; sys.path.insert(0,'/tmp/redteam11/work/E/scripts')
from ip import *
for book in ['example','newperiod1','newperiod2','newperiod3']:
    T=f'{B}/{book}/_generated/tables/'
    c=pd.read_csv(T+'orientations-communes.csv',dtype=str)
    q=pd.read_csv(T+'gradient-usagers-quintiles.csv',dtype=str)
    ip=IP(); tot=None; row={}
    for _,r in c.iterrows():
        n=r['Commune']; 
        if n=='Total': tot=num(r['Effectif']); continue
        ip.var(n,r['Effectif']); row[n]=1
    ip.eq(row,tot)
    for _,r in q.iterrows():
        qn=r['Quintile'].split()[0]; ip.var(qn,r['Effectif'])
        d={x.strip():1 for x in r['Communes'].split(',')}; d[qn]=-1; ip.eq(d,0)
    if book=='example':
        # 2022 report + this book: top three communes are Etterbeek, Jette, Anderlecht (11): every other <= 11
        for n in row:
            if n not in('Etterbeek','Jette','Anderlecht') and not n.startswith('Hors'): ip.le({n:1},11)
    print('==',book)
    for k,(kind,lo,hi) in ip.bounds().items(): print(f'  {k:45s} {kind:5s} [{lo},{hi}]')
