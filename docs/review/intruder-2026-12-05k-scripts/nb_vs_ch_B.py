# rows of tables shown in the executed-notebook annex that do not appear in any chapter/annex table; and notebook text not in chapters
import json
for b in ['example','newperiod1','newperiod2','newperiod3']:
    T=json.load(open(f'out/tables_{b}.json'))
    other=set(); nb=[]
    for k,v in T.items():
        rows=[tuple(r) for r in v['rows']]
        if k.startswith('a6-notebooks'): nb+= [(k,r) for r in rows]
        else: other|=set(rows)
    miss=[(k,r) for k,r in nb if r not in other]
    print(b,'notebook rows',len(nb),'not elsewhere',len(miss))
    for m in miss[:20]: print('   ',m)
