"""Joint test: for each variant of the cluster CI and each partition of the 13 demands of the three n.p. services,
is there a per-service allocation of every published envoyeur (np1 and np2 books separately) that reproduces all
printed CI bounds (cluster bound where it is outside Wilson, Wilson bound otherwise) with sum over envoyeurs <= n_s?"""
import itertools, numpy as np, sys
from math import sqrt
from scipy import stats
sys.setrecursionlimit(10000)
N=77
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
    rec(0,Y,[]); return np.array(out)
def cl_half_range(Y,lo,hi):
    """printed lo,hi (%). returns allowed [hmin,hmax] for the cluster half-width."""
    p=100*Y/N; wl,wh=wilson(Y,N); hmin,hmax=0,1e9
    # lower bound
    if lo<=0.0: hmin=max(hmin,p-0.05)   # truncated at 0: p-h <= 0.05
    elif abs(lo-round(wl,1))<1e-9 and True:
        # printed lower equals Wilson lower: cluster lower >= wilson lower - so half <= p - wl (approximately, allow rounding)
        hmax=min(hmax,p-(lo-0.05))
    else:
        hmin=max(hmin,p-(lo+0.05)); hmax=min(hmax,p-(lo-0.05))
    if abs(hi-round(wh,1))<1e-9:
        hmax=min(hmax,(hi+0.05)-p)
    else:
        hmin=max(hmin,(hi-0.05)-p); hmax=min(hmax,(hi+0.05)-p)
    return hmin,hmax
books={'np1':[('IP',10,1.9,24.1),('SG',19,16.2,35.4),('SM',13,2.6,31.2),('AS',13,4.5,29.3),('Log',5,0.0,14.3)],
       'np2':[('IP',8,2.6,19.2),('Ent',5,0.5,14.3),('SG',17,8.0,36.2),('SM',12,7.2,25.3),('AS',15,10.7,29.7),('Log',8,0.8,19.9)]}
known=[11,10,34,9]
parts=[p for p in itertools.combinations_with_replacement(range(1,12),3) if sum(p)==13]
def feasible(ns,cands):
    ns=np.array(ns)
    order=sorted(range(len(cands)),key=lambda k:len(cands[k]))
    def rec(i,used):
        if i==len(order): return True
        for a in cands[order[i]]:
            u=used+a
            if (u<=ns).all() and rec(i+1,u): return True
        return False
    return rec(0,np.zeros(len(ns),int))
variants=[(v,c) for v in ['CR2','CR1','CR0'] for c in ['t_bm','t_G-1','z']]
for var,crit in variants:
    res=[]
    for part in parts:
        ns=known+list(part)
        q={'t_bm':stats.t.ppf(.975,bm_df(ns)),'t_G-1':stats.t.ppf(.975,len(ns)-1),'z':1.959964}[crit]
        okb={}
        for b,L in books.items():
            cands=[]
            for k,Y,lo,hi in L:
                A=allocs(ns,Y); p=Y/N; nsa=np.array(ns)
                w={'CR2':1/(1-nsa/N),'CR1':np.ones(len(ns))*len(ns)/(len(ns)-1),'CR0':np.ones(len(ns))}[var]
                h=100*q*np.sqrt(((A-nsa*p)**2*w).sum(1))/N
                hmin,hmax=cl_half_range(Y,lo,hi)
                cands.append(A[(h>=hmin-1e-9)&(h<=hmax+1e-9)])
            okb[b]=feasible(ns,cands)
        res.append((part,okb['np1'],okb['np2']))
    print(var,crit,' '.join(f"{p}:{'Y' if a else 'n'}{'Y' if b else 'n'}" for p,a,b in res))
