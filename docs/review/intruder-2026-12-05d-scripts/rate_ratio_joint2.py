"""Joint search restricted to the avant sizes pinned by ex_sizes_deff.py. Joint search (reader's view) with formula H*-CR1 (rate_ratio5.py):
unknowns: the avant per-service counts (4 encoding services; sizes from the example CR2 inversion, ex_cr2_sizes.py;
services present in both editions sum to 50), the np1/np2 split of 13 over Dune/GC/Passerelle (each >=1),
and the np3 allocation of 5 over Coin des Cerises/Le Gres/Passerelle (exactly one zero).
Keep every combination that reproduces 0,47-3,56 (np1/np2) and 0,48-3,53 (np3)."""
import itertools, numpy as np
from rate_ratio5 import ci, AV_SERV_MERGED, AV_SERV_SPLIT
exec(open('ex_cr2_sizes.py').read().split('good=[]')[0])  # helpers only
import subprocess, ast
parts=[(14,15,20,30)]  # from ex_sizes_deff.py
BOTH_NP3=['CER','DUNE','GRE','MER','MOB','NOR','SMES']   # present in both editions (np3)
np1_splits=[s for s in itertools.product(range(1,12),repeat=3) if sum(s)==13]
np3_allocs=sorted(set(itertools.permutations((0,1,4)))|set(itertools.permutations((0,2,3))))
res={}; n_av=0
for part in parts:
    for k in range(1,5):
        for idx in itertools.combinations(range(4),k):
            if sum(part[i] for i in idx)!=50: continue
            both_sizes=[part[i] for i in idx]; only_sizes=[part[i] for i in range(4) if i not in idx]
            for servs in itertools.permutations(BOTH_NP3,k):
                av3={s:0 for s in AV_SERV_SPLIT}
                for s,v in zip(servs,both_sizes): av3[s]=v
                onlys=[s for s in AV_SERV_SPLIT if s not in BOTH_NP3]
                for s,v in zip(onlys,only_sizes): av3[s]=v
                av1={s:av3.get(s,0) for s in AV_SERV_MERGED}; av1['GRC']=av3['CER']+av3['GRE']
                n_av+=1
                ok1=[sp for sp in np1_splits if tuple(round(x,2) for x in ci(av1,{'DUNE':sp[0],'GRC':sp[1],'PAS':sp[2],'MER':11,'MOB':10,'NOR':34,'SMES':9},'CR1')[:2])==(0.47,3.56)]
                if not ok1: continue
                ok3=[a for a in np3_allocs if tuple(round(x,2) for x in ci(av3,{'CER':a[0],'GRE':a[1],'PAS':a[2],'DUNE':8,'MER':11,'MOB':10,'NOR':34,'SMES':9},'CR1')[:2])==(0.48,3.53)]
                if not ok3: continue
                key=tuple(sorted((s,v) for s,v in av3.items() if v))
                res[key]=(ok1,ok3)
print('avant assignments tried:',n_av,' consistent:',len(res))
all1=set(); all3=set()
for k,(o1,o3) in res.items():
    all1|=set(o1); all3|=set(o3)
    print(k,'np1',o1[:6],'...' if len(o1)>6 else '','np3',o3)
print('np1 splits possible:',sorted(all1))
print('np3 allocations possible (CC,Gres,Pass):',sorted(all3))
for i,n in enumerate(['CC','Gres','Pass']): print('  ',n,sorted(set(a[i] for a in all3)))
for i,n in enumerate(['Dune','GC','Pass']): print('  np1',n,sorted(set(a[i] for a in all1)))
