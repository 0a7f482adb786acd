"""Example book Table 8.2: cluster CIs (4 services encoded; Mobiwest 30; the other three sum to 49 with a subset
summing to 20 (present in both editions, Table 11.4/11.6 of newperiod books) and the rest to 29)."""
import itertools, numpy as np
from scipy import stats
import importlib.util,sys
spec=importlib.util.spec_from_file_location('j','/tmp/redteam3/scripts/cr2_joint.py')
src=open('/tmp/redteam3/scripts/cr2_joint.py').read().split('variants=')[0]
exec(src.replace('N=77','N=79'))
L=[('SG',39,29.0,69.7),('SM',7,0.0,19.7),('AS',16,4.9,35.6)]
trip=set()
for a in range(1,48):
    for b in range(a,48):
        c=49-a-b
        if c<b: continue
        t=(a,b,c)
        ok=any(sum(s)==20 for r in (1,2) for s in itertools.combinations(t,r))
        if ok: trip.add(t)
trip=sorted(trip)
print(len(trip),'candidate triples',trip)
for var in ['CR2','CR1','CR0']:
  for crit in ['t_bm','t_G-1','z']:
    good=[]
    for t in trip:
        ns=[30]+list(t)
        q={'t_bm':stats.t.ppf(.975,bm_df(ns)),'t_G-1':stats.t.ppf(.975,len(ns)-1),'z':1.959964}[crit]
        cands=[]
        for k,Y,lo,hi in L:
            A=allocs(ns,Y); p=Y/N; nsa=np.array(ns)
            w={'CR2':1/(1-nsa/N),'CR1':np.ones(len(ns))*len(ns)/(len(ns)-1),'CR0':np.ones(len(ns))}[var]
            h=100*q*np.sqrt(((A-nsa*p)**2*w).sum(1))/N
            hmin,hmax=cl_half_range(Y,lo,hi)
            cands.append(A[(h>=hmin-1e-9)&(h<=hmax+1e-9)])
        if feasible(ns,cands): good.append(t)
    print(var,crit,len(good),good)
