"""Chapter 7: bounds on the smallest attendance printed '< 5' from n activities, P participations, max X."""
import pandas as pd,re
B='/tmp/redteam11/books'
def num(s): return int(re.sub(r'\D','',s))
for b in ['example','newperiod1','newperiod2','newperiod3']:
    t=pd.read_csv(f'{B}/{b}/_generated/tables/activites-types.csv',dtype=str)
    for _,r in t.iterrows():
        cell=str(r.iloc[4]).replace('\xa0',' ').replace('\u202f',' '); m=re.search(r'\((.*) à (.*)\)',str(cell))
        if not m: continue
        n=num(r['Activités']); P=num(r['Participations'])
        lo,hi=m.group(1).strip(),m.group(2).strip()
        if '<' in lo:
            X=num(hi); ok=[v for v in range(5) if (n-2)*v <= P-X-v <= (n-2)*X and n>=2]
            flag='' if len(ok)==5 else '  <-- NARROWED'
            print(f'{b:11s} {r.iloc[1][:40]:40s} n={n} P={P} max={X} -> min in {ok}{flag}')
