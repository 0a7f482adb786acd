"""newperiod3 Table 8.2: CR2/BM cluster CIs vs sizes of the two non-zero services among
Coin des Cerises, SSM Le Grès, Passerelle (sum 5, exactly two non-zero: '7 services ont encodé')."""
import numpy as np
from scipy import stats
from cr2lib import *
N=77
L=[('IP',8,4.7,19.2),('Ent',6,0.0,21.8),('SG',12,6.3,25.3),('SM',17,9.5,34.7),('AS',16,11.9,31.1),('Autre',6,1.4,16.0)]
known=[8,11,10,34,9]
for small in [(1,4),(2,3)]:
    ns=known+list(small); nsa=np.array(ns)
    for crit in ['t_bm','z','t_G-1']:
        q={'t_bm':stats.t.ppf(.975,bm_df(ns)),'t_G-1':stats.t.ppf(.975,len(ns)-1),'z':1.959964}[crit]
        cands=[];info=[]
        for k,Y,lo,hi in L:
            A=allocs(ns,Y); h=half_cr2(ns,A,Y,q)
            hmin,hmax=cl_half_range(Y,N,lo,hi)
            C=A[(h>=hmin-1e-9)&(h<=hmax+1e-9)]; cands.append(C); info.append((k,len(A),len(C)))
        print(small,crit,info,'joint feasible:',feasible(ns,cands) if all(len(c) for c in cands) else False)
