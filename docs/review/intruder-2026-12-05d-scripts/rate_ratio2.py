"""Search families of 'cluster-robust' CIs for the new-demands rate ratio (Table 11.4) that reproduce
np1/np2 (0,47 a 3,56) for some split of 13 over Dune/GC/Passerelle (each >=1) AND np3 (0,48 a 3,53) for
some allocation {0,a,5-a} of Coin des Cerises / Le Gres / Passerelle. Avant: 30,20,15,14 (+ zeros: 12 in np1, 13 in np3)."""
import numpy as np, itertools
from scipy import stats
Y0,Y1,M0,M1=79,77,8,6
RR=(Y1/M1)/(Y0/M0)
def var_part(ys,corr):
    ys=np.array(ys,float); G=len(ys); v=((ys-ys.mean())**2).sum()
    return v*(G/(G-1) if corr=='CR1' else 1), G
def ci(av,nw,corr,q):
    v0,G0=var_part(av,corr); v1,G1=var_part(nw,corr)
    V=v0/Y0**2+v1/Y1**2
    qv={'z':1.959964,'t(G1-1)':stats.t.ppf(.975,G1-1),'t(G0-1)':stats.t.ppf(.975,G0-1),'t(G0+G1-2)':stats.t.ppf(.975,G0+G1-2),
        'satt':stats.t.ppf(.975,(v0/Y0**2+v1/Y1**2)**2/((v0/Y0**2)**2/(G0-1)+(v1/Y1**2)**2/(G1-1))),
        't(min-1)':stats.t.ppf(.975,min(G0,G1)-1)}[q]
    h=qv*np.sqrt(V); return np.exp(np.log(RR)-h),np.exp(np.log(RR)+h)
def match(lo,hi,t): return round(lo+1e-12,2)==t[0] and round(hi+1e-12,2)==t[1]
known_now=[11,10,34,9]
np1_splits=[s for s in itertools.product(range(1,12),repeat=3) if sum(s)==13]
np3_allocs=[(0,a,5-a) for a in range(1,5)]
for av_mode in ['nonzero','all']:
  for nw_mode in ['nonzero','all']:
    for corr in ['CR0','CR1']:
      for q in ['z','t(G1-1)','t(G0-1)','t(G0+G1-2)','satt','t(min-1)']:
        ok1=[];ok3=[]
        for s in np1_splits:
            av=[30,20,15,14]+([0]*12 if av_mode=='all' else [])
            nw=known_now+list(s)
            lo,hi=ci(av,nw,corr,q)
            if match(lo,hi,(0.47,3.56)): ok1.append(s)
        for s in np3_allocs:
            av=[30,20,15,14]+([0]*13 if av_mode=='all' else [])
            nw=known_now+[8]+[x for x in s if (x>0 or nw_mode=='all')]
            lo,hi=ci(av,nw,corr,q)
            if match(lo,hi,(0.48,3.53)): ok3.append(s)
        if ok1 or ok3: print(av_mode,nw_mode,corr,q,'np1 splits ok:',len(ok1),sorted(set(tuple(sorted(x)) for x in ok1))[:8],' np3 ok:',ok3)
