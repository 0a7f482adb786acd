"""NP books: per-service allocations must reproduce (a) Table 8.2 CR2/Bell-McCaffrey cluster CIs and
(b) the cluster design effect (CR1 variance / binomial variance, floored at 1) implied by the Table 11.4
Newcombe intervals (Wilson on N/deff). Test each partition of the 13 demands of Dune/Grès-Cerises/Passerelle."""
import numpy as np, itertools
from scipy import stats
src=open('/tmp/redteam3/scripts/cr2_joint.py').read().split('variants=')[0]
exec(src)
def deff_cr1(ns,A,Y):
    ns=np.array(ns,float); N=ns.sum(); p=Y/N; G=len(ns)
    return ((A-ns*p)**2).sum(1)/N**2*G/(G-1)/(p*(1-p)/N)
# (name, Y, printed lo, hi or None if no CI in T8.2, deff range from T11.4)
D={'np1':[('IP',10,1.9,24.1,None),('SG',19,16.2,35.4,(0,1.02)),('SM',13,2.6,31.2,(1.20,1.24)),('AS',13,4.5,29.3,(0,1.005)),('Log',5,0.0,14.3,None),('F',46,None,None,(0,1.005))],
   'np2':[('IP',8,2.6,19.2,None),('Ent',5,0.5,14.3,None),('SG',17,8.0,36.2,(0,1.015)),('SM',12,7.2,25.3,(0,1.015)),('AS',15,10.7,29.7,(0,1.015)),('Log',8,0.8,19.9,None),('F',42,None,None,(1.96,2.06))]}
known=[11,10,34,9]
parts=[p for p in itertools.combinations_with_replacement(range(1,12),3) if sum(p)==13]
def feasible2(ns,groups):
    # groups: list of candidate arrays; envoyeur groups share capacity; 'F' separate (only <= n_s, already enforced)
    return feasible(ns,groups)
for part in parts:
    ns=known+list(part); nsa=np.array(ns); q=stats.t.ppf(.975,bm_df(ns)); res={}
    for b,L in D.items():
        env=[]; fem_ok=True; counts=[]
        for k,Y,lo,hi,dr in L:
            A=allocs(ns,Y); keep=np.ones(len(A),bool)
            if lo is not None:
                h=100*q*np.sqrt(((A-nsa*Y/N)**2/(1-nsa/N)).sum(1))/N
                hmin,hmax=cl_half_range(Y,lo,hi); keep&=(h>=hmin-1e-9)&(h<=hmax+1e-9)
            if dr is not None:
                d=np.maximum(1,deff_cr1(ns,A,Y)); keep&=(d>=max(1,dr[0])-1e-9)&(d<=dr[1]+1e-9) if dr[0]>1 else (d<=dr[1]+1e-9)
            C=A[keep]; counts.append((k,len(C)))
            if k=='F': fem_ok=len(C)>0
            else: env.append(C)
        res[b]=(fem_ok and feasible(ns,env),counts)
    print(part,'np1',res['np1'][0],'np2',res['np2'][0],res['np1'][1],res['np2'][1])
