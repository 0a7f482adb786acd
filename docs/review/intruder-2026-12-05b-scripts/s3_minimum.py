"""S3: smallest attendance per activity type (Table 7.1) bounded by published count n, total T, max M.
min <= floor(T/n); and min <= floor((T-M)/(n-1)) when max M printed; min >= T-(n-1)*M."""
import pandas as pd,re,math
for b in ['example_book','newperiod_book','newperiod2_book']:
    t=pd.read_html(f'../{b}/chapters/07-activites.html')[0]
    print('==',b)
    for _,r in t.iterrows():
        n=str(r['Activités']).replace('\u202f','').replace(' ','').replace('\xa0','')
        T=str(r['Participations']).replace('\u202f','').replace(' ','').replace('\xa0','')
        rng=str(r.iloc[4]).replace('\xa0',' ').replace('\u202f',' ')
        if not n.isdigit() or not T.isdigit(): continue
        n=int(n);T=int(T)
        if n==0: continue
        m=re.search(r'\((.*?)\)',rng); inner=m.group(1) if m else ''
        mm=re.match(r'(< 5|\d+) à (\d+)',inner)
        M=int(mm.group(2)) if mm else None
        ub=T//n
        if M is not None and n>1: ub=min(ub,(T-M)//(n-1))
        lb=max(0,T-(n-1)*M) if M is not None else 0
        if inner=='n.p.' or (mm and mm.group(1)=='< 5'):
            ub2=min(ub,4) if inner.startswith('<') else ub
            vals=list(range(lb,ub2+1))
            small=[v for v in vals if v<5]
            flag='  <-- min pinned to %s'%vals if len(vals)<5 else ''
            print(f'  {r.iloc[1][:45]:45s} n={n:5d} T={T:6d} shown {rng:18s} min in [{lb},{ub2}]{flag}')
