import numpy as np, itertools
from scipy import stats
src=open('/tmp/redteam3/scripts/cr2_joint.py').read().split('variants=')[0]
exec(src.replace('N=77','N=79'))
L=[('SG',39,29.0,69.7),('SM',7,0.0,19.7),('AS',16,4.9,35.6)]
def deffs(ns,a,Y):
    ns=np.array(ns,float); a=np.array(a,float); N=ns.sum(); p=Y/N; G=len(ns)
    vb=p*(1-p)/N
    r2=(a-ns*p)**2
    cr0=r2.sum()/N**2; cr2=(r2/(1-ns/N)).sum()/N**2; cr1=cr0*G/(G-1)
    # ANOVA ICC
    m0=(N-(ns**2).sum()/N)/(G-1)
    msb=((a-ns*p)**2/ns).sum()/(G-1)
    msw=(Y-(a**2/ns).sum())/(N-G)
    icc=(msb-msw)/(msb+(m0-1)*msw)
    kish=1+((ns**2).sum()/N-1)*icc
    kish0=1+(m0-1)*icc
    return dict(cr0=cr0/vb,cr1=cr1/vb,cr2=cr2/vb,kish=kish,kish_m0=kish0)
for t in [(14,15,20),(12,17,20)]:
    ns=[30]+list(t); q=stats.t.ppf(.975,bm_df(ns)); print('== n',ns,'df %.3f t %.3f'%(bm_df(ns),q))
    for k,Y,lo,hi in L:
        A=allocs(ns,Y); p=Y/N; nsa=np.array(ns)
        h=100*q*np.sqrt(((A-nsa*p)**2/(1-nsa/N)).sum(1))/N
        hmin,hmax=cl_half_range(Y,lo,hi)
        C=A[(h>=hmin-1e-9)&(h<=hmax+1e-9)]
        print(' ',k,Y,len(C),'allocs')
        for a in C:
            d=deffs(ns,a,Y); print('    ',a,' '.join(f'{kk}={v:.3f}' for kk,v in d.items()))
