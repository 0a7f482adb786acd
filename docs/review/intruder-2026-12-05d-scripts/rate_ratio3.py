"""Wider search: for each period, the variance of the total from per-service counts over set A (nonzero / all present),
small-sample factor G/(G-1) with G from set B, t quantile df = G_now-1 with G from set C (or other df)."""
import numpy as np, itertools
from scipy import stats
Y0,Y1,M0,M1=79,77,8,6
RR=(Y1/M1)/(Y0/M0)
def per(ys,varset,facset):
    nz=[y for y in ys if y>0]; V=nz if varset=='nz' else ys
    V=np.array(V,float); v=((V-V.mean())**2).sum()
    G=len(nz) if facset=='nz' else len(ys)
    return v*G/(G-1), len(nz), len(ys)
res={}
known_now=[11,10,34,9]
np1_splits=[s for s in itertools.product(range(1,12),repeat=3) if sum(s)==13]
np3_allocs=[(0,a,5-a) for a in range(1,5)]
opts=['nz','all']
def dfs(n0,a0,n1,a1):
    return {'n1-1':n1-1,'a1-1':a1-1,'n0-1':n0-1,'a0-1':a0-1,'n0+n1-2':n0+n1-2,'a0+a1-2':a0+a1-2,'union-1':None,'z':np.inf}
for v0s,f0s,v1s,f1s in itertools.product(opts,repeat=4):
    for dfk in ['n1-1','a1-1','n0-1','a0-1','n0+n1-2','a0+a1-2','z']:
        ok1=[];ok3=[]
        for book,cands,target,nz0 in [('np1',np1_splits,(0.47,3.56),12),('np3',np3_allocs,(0.48,3.53),13)]:
            for s in cands:
                av=[30,20,15,14]+[0]*nz0
                nw=known_now+list(s)+([8] if book=='np3' else [])
                v0,n0,a0=per(av,v0s,f0s); v1,n1,a1=per(nw,v1s,f1s)
                d=dfs(n0,a0,n1,a1)[dfk]
                q=1.959964 if d==np.inf else stats.t.ppf(.975,d)
                h=q*np.sqrt(v0/Y0**2+v1/Y1**2)
                lo,hi=np.exp(np.log(RR)-h),np.exp(np.log(RR)+h)
                if round(lo,2)==target[0] and round(hi,2)==target[1]:
                    (ok1 if book=='np1' else ok3).append(s)
        if ok1 and ok3:
            print(v0s,f0s,v1s,f1s,dfk,'np1:',sorted(set(tuple(sorted(x)) for x in ok1)),'np3:',ok3)
        elif ok1 or ok3:
            print('  partial',v0s,f0s,v1s,f1s,dfk,len(ok1),ok3)
