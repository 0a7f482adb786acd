"""CR2 (Bell-McCaffrey) cluster CI of a share, intercept-only model; helpers."""
import numpy as np
from math import sqrt
from scipy import stats
def wilson(x,n,z=1.959963984540054):
    p=x/n; d=1+z*z/n; c=(p+z*z/(2*n))/d; h=z*sqrt(p*(1-p)/n+z*z/(4*n*n))/d
    return 100*(c-h),100*(c+h)
def bm_df(ns):
    ns=np.array(ns,float); N=ns.sum(); G=len(ns); M=np.zeros((G,G))
    for i in range(G):
        for j in range(G):
            M[i,j]=ns[i] if i==j else -ns[i]*ns[j]/N/np.sqrt((1-ns[i]/N)*(1-ns[j]/N))
    return np.trace(M)**2/np.sum(M*M)
def allocs(ns,Y):
    out=[]
    def rec(i,rem,cur):
        if i==len(ns)-1:
            if rem<=ns[i]: out.append(cur+[rem])
            return
        for v in range(0,min(ns[i],rem)+1): rec(i+1,rem-v,cur+[v])
    rec(0,Y,[]); return np.array(out,dtype=int)
def half_cr2(ns,A,Y,q=None):
    nsa=np.array(ns,float); N=nsa.sum(); p=Y/N
    if q is None: q=stats.t.ppf(.975,bm_df(ns))
    return 100*q*np.sqrt(((A-nsa*p)**2/(1-nsa/N)).sum(1))/N
def cl_half_range(Y,N,lo,hi):
    """Given printed lo,hi (%), allowed [hmin,hmax] of the cluster half-width (symmetric, truncated at 0),
    printed bound = the wider of Wilson and cluster."""
    p=100*Y/N; wl,wh=wilson(Y,N); hmin,hmax=0,1e9
    # lower side: printed lo = min(wl, max(0,p-h)) rounded
    if lo<=0.0: hmin=max(hmin,p-0.05)
    elif abs(lo-round(wl,1))<1e-9: hmax=min(hmax,p-(lo-0.05))   # cluster lower >= printed-0.05
    else: hmin=max(hmin,p-(lo+0.05)); hmax=min(hmax,p-(lo-0.05))
    if abs(hi-round(wh,1))<1e-9: hmax=min(hmax,(hi+0.05)-p)
    else: hmin=max(hmin,(hi-0.05)-p); hmax=min(hmax,(hi+0.05)-p)
    return hmin,hmax
def feasible(ns,cands):
    ns=np.array(ns)
    order=sorted(range(len(cands)),key=lambda k:len(cands[k]))
    seen=set()
    def rec(i,used):
        if i==len(order): return True
        key=(i,tuple(used))
        if key in seen: return False
        for a in cands[order[i]]:
            u=used+a
            if (u<=ns).all() and rec(i+1,u): return True
        seen.add(key); return False
    return rec(0,np.zeros(len(ns),int))
