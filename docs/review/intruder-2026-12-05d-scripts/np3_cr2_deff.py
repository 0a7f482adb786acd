"""newperiod3: Table 8.2 CR2 CIs + Table 11.4 Newcombe design effects (deff1 = max(1, CR1 var / binomial var))
for the two unknown non-zero service sizes {1,4} or {2,3}."""
import numpy as np
from scipy import stats
from cr2lib import *
from newcombe_deff import ranges
N=77
R=ranges('np3')
dr={k:(min(x[1] for x in s)-0.005,max(x[1] for x in s)+0.005) for k,s in R.items()}
print('deff1 ranges',dr)
L=[('IP',8,4.7,19.2),('Ent',6,0.0,21.8),('SG',12,6.3,25.3),('SM',17,9.5,34.7),('AS',16,11.9,31.1),('Autre',6,1.4,16.0)]
def deff_cr1(ns,A,Y):
    ns=np.array(ns,float); N=ns.sum(); p=Y/N; G=len(ns)
    return np.maximum(1,((A-ns*p)**2).sum(1)/N**2*G/(G-1)/(p*(1-p)/N))
known=[8,11,10,34,9]
for small in [(1,4),(2,3)]:
    ns=known+list(small); q=stats.t.ppf(.975,bm_df(ns))
    cands=[];info=[]
    for k,Y,lo,hi in L:
        A=allocs(ns,Y); h=half_cr2(ns,A,Y,q); hmin,hmax=cl_half_range(Y,N,lo,hi)
        keep=(h>=hmin-1e-9)&(h<=hmax+1e-9)
        if k in dr: d=deff_cr1(ns,A,Y); keep&=(d>=dr[k][0])&(d<=dr[k][1])
        C=A[keep]; cands.append(C); info.append((k,len(C)))
    A=allocs(ns,43); d=deff_cr1(ns,A,43); F=A[(d>=dr['F'][0])&(d<=dr['F'][1])]
    print(small,info,'F',len(F),'joint:',feasible(ns,cands) if all(len(c) for c in cands) else False)
    for (k,_,_,_),C in zip(L,cands): print('   ',k,C.tolist()[:6])
