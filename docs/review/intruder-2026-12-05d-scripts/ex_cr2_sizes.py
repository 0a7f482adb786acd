"""Example Table 8.2: CR2/BM cluster CIs with 4 encoding services (sec. 8.1). Which size partitions of 79 fit?
(+ newperiod books: services present in both editions had 50 demands 'avant')"""
import itertools, numpy as np
from scipy import stats
from cr2lib import *
N=79
L=[('SG',39,29.0,69.7),('SM',7,0.0,19.7),('AS',16,4.9,35.6)]
good=[]
for a in range(1,77):
  for b in range(a,77):
    for c in range(b,77):
      d=79-a-b-c
      if d<c: continue
      ns=[a,b,c,d]
      if not any(sum(s)==50 for r in (1,2,3) for s in itertools.combinations(ns,r)): continue
      q=stats.t.ppf(.975,bm_df(ns)); cands=[]
      for k,Y,lo,hi in L:
          A=allocs(ns,Y); h=half_cr2(ns,A,Y,q); hmin,hmax=cl_half_range(Y,N,lo,hi)
          cands.append(A[(h>=hmin-1e-9)&(h<=hmax+1e-9)])
      if all(len(c) for c in cands) and feasible(ns,cands): good.append(tuple(ns))
print(len(good),good)
