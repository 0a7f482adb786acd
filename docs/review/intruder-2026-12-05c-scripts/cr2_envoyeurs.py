"""Hypothesis test: cluster CI of a share = p +/- t_df * sqrt(V_CR2), intercept-only LPM, clusters = services,
Bell-McCaffrey df. Unknown: per-service totals of the 3 n.p. services (Dune, Grès-Cerises, Passerelle; sum 13, each>=1).
Known per-service totals: Méridien 11, Mobiwest 10, Norois 34, Smes 9 (Table 11.6)."""
import itertools, numpy as np
from scipy import stats
N=77
def bm_df(ns):
    ns=np.array(ns,float); N=ns.sum()
    G=len(ns)
    # Gram matrix of g_s (up to common factor 1/N^2)
    M=np.zeros((G,G))
    for i in range(G):
        for j in range(G):
            if i==j: M[i,j]=ns[i]
            else: M[i,j]=-ns[i]*ns[j]/N/np.sqrt((1-ns[i]/N)*(1-ns[j]/N))
    return np.trace(M)**2/np.sum(M*M)
def allocs(ns,Y):
    # all integer vectors 0<=y_s<=n_s, sum Y
    out=[]
    def rec(i,rem,cur):
        if i==len(ns)-1:
            if rem<=ns[i]: out.append(cur+[rem])
            return
        for v in range(0,min(ns[i],rem)+1):
            rec(i+1,rem-v,cur+[v])
    rec(0,Y,[])
    return np.array(out)
def Vset(ns,Y,var):
    ns=np.array(ns); A=allocs(list(ns),Y); p=Y/N
    r=(A-ns*p)**2
    if var=='CR2': w=1/(1-ns/N)
    elif var=='CR0': w=np.ones(len(ns))
    elif var=='CR1': w=np.ones(len(ns))*len(ns)/(len(ns)-1)
    V=(r*w).sum(1)/N**2
    return np.unique(np.round(V,12))
# (Y, half_lo, half_hi) cluster half-widths in percentage points
obs={'np1':[(10,11.04,11.14),(13,14.23,14.33),(13,12.33,12.43),(5,6.44,7.86)],
     'np2':[(8,7.74,7.84),(5,5.94,6.04),(17,14.03,14.13),(12,8.33,8.43),(15,8.73,8.83),(8,9.44,9.64)]}
known=[11,10,34,9]
parts=[p for p in itertools.combinations_with_replacement(range(1,12),3) if sum(p)==13]
for var in ['CR2','CR1','CR0']:
  for crit in ['t_bm','t_G-1','z']:
    print('== variance',var,'critical',crit)
    for part in parts:
        ns=known+list(part)
        if crit=='t_bm': q=stats.t.ppf(.975,bm_df(ns))
        elif crit=='t_G-1': q=stats.t.ppf(.975,len(ns)-1)
        else: q=1.959964
        ok=True; detail=[]
        for b in obs:
            for Y,lo,hi in obs[b]:
                V=Vset(ns,Y,var); h=100*q*np.sqrt(V)
                m=((h>=lo)&(h<=hi)).sum()
                detail.append(m)
                if m==0: ok=False
        print(part, 'df=%.2f q=%.3f'%(bm_df(ns),q), 'OK' if ok else '--', detail)
