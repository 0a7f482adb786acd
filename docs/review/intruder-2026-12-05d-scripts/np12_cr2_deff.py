"""np1/np2 Table 8.2 CR2/BM CIs + Table 11.4 Newcombe deff1 (maintenant): which partitions of the 13 demands of
Dune / Grès-Cerises / Passerelle (each >= 1, '7 services ont encodé') are feasible? (review 3's F4, rerun)"""
import itertools, numpy as np
from scipy import stats
from cr2lib import *
from newcombe_deff import ranges
N=77
def deff_cr1(ns,A,Y):
    ns=np.array(ns,float); p=Y/N; G=len(ns)
    return np.maximum(1,((A-ns*p)**2).sum(1)/N**2*G/(G-1)/(p*(1-p)/N))
T82={'np1':[('SG',19,16.2,35.4),('SM',13,2.6,31.2),('AS',13,4.5,29.3),('Log',5,0.0,14.3)],
     'np2':[('IP',8,2.6,19.2),('Ent',5,0.5,14.3),('SG',17,8.0,36.2),('SM',12,7.2,25.3),('AS',15,10.7,29.7),('Log',8,0.8,19.9)]}
FEM={'np1':46,'np2':42}
known=[11,10,34,9]
parts=[p for p in itertools.combinations_with_replacement(range(1,12),3) if sum(p)==13]
out={}
for b in ['np1','np2']:
    R=ranges(b); dr={k:(min(x[1] for x in s)-0.0025,max(x[1] for x in s)+0.0025) for k,s in R.items()}
    ok=[]
    for part in parts:
        ns=known+list(part); q=stats.t.ppf(.975,bm_df(ns)); cands=[]
        for k,Y,lo,hi in T82[b]:
            A=allocs(ns,Y); h=half_cr2(ns,A,Y,q); hmin,hmax=cl_half_range(Y,N,lo,hi)
            keep=(h>=hmin-1e-9)&(h<=hmax+1e-9)
            if k in dr: d=deff_cr1(ns,A,Y); keep&=(d>=dr[k][0])&(d<=dr[k][1])
            cands.append(A[keep])
        A=allocs(ns,FEM[b]); d=deff_cr1(ns,A,FEM[b]); F=A[(d>=dr['F'][0])&(d<=dr['F'][1])]
        if all(len(c) for c in cands) and len(F) and feasible(ns,cands): ok.append(part)
    out[b]=ok; print(b,ok)
print('both books:',sorted(set(out['np1'])&set(out['np2'])))
