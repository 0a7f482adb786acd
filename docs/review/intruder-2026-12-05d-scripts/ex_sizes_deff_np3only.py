"""Example avant sizes: partitions consistent with Table 8.2 CR2 CIs AND the Table 11.4 Newcombe design effects
of the avant side (intersection over np1/np2/np3): deff0(SG)<=1.005, 1.045<=deff0(SM)<=1.06, deff0(AS)<=1.0, deff0(F)<=1.0."""
import itertools, ast, subprocess, numpy as np
from scipy import stats
from cr2lib import *
N=79
parts=ast.literal_eval(subprocess.run(['/tmp/rt4py/bin/python','ex_cr2_sizes.py'],capture_output=True,text=True).stdout.split(' ',1)[1])
def deff_cr1(ns,A,Y):
    ns=np.array(ns,float); p=Y/N; G=len(ns)
    return np.maximum(1,((A-ns*p)**2).sum(1)/N**2*G/(G-1)/(p*(1-p)/N))
L=[('SG',39,29.0,69.7,(0,1.0175)),('SM',7,0.0,19.7,(1.0425,1.0675)),('AS',16,4.9,35.6,(0,1.0075))]
ok=[]
for ns in parts:
    q=stats.t.ppf(.975,bm_df(ns)); cands=[]
    for k,Y,lo,hi,(dl,dh) in L:
        A=allocs(ns,Y); h=half_cr2(ns,A,Y,q); hmin,hmax=cl_half_range(Y,N,lo,hi); d=deff_cr1(ns,A,Y)
        cands.append(A[(h>=hmin-1e-9)&(h<=hmax+1e-9)&(d>=dl)&(d<=dh)])
    A=allocs(ns,44); F=A[deff_cr1(ns,A,44)<=1.0775]
    if all(len(c) for c in cands) and len(F) and feasible(ns,cands): ok.append(ns)
print(len(ok),ok)
