"""Which per-service splits reproduce Table 11.4 'Nouvelles demandes par mois x1,30 (0,47 a 3,56)' under candidate
cluster-aware variance formulas? avant: 16 services: Mobiwest 30 + triple (a,b,c) + 12 zeros; maintenant: 7 services."""
import itertools, numpy as np
from scipy import stats
trip=[(12,17,20),(14,15,20)]+[(a,b,49-a-b) for a in range(1,48) for b in range(a,48) if 49-a-b>=b]
trip=sorted(set(trip))
parts=[p for p in itertools.combinations_with_replacement(range(1,12),3) if sum(p)==13]
T0,T1=8,6
lo_ok=(0.465,0.475); hi_ok=(3.555,3.565)
def pearson(ys,G):
    y=np.array(list(ys)+[0]*(G-len(ys)),float); m=y.mean()
    return ((y-m)**2/m).sum()/(G-1)
def variants(y0,y1):
    Y0,Y1=sum(y0),sum(y1); r=np.log((Y1/T1)/(Y0/T0))
    out={}
    f0=pearson(y0,16); f1=pearson(y1,7)
    out['qP sep z']=(r,np.sqrt(f0/Y0+f1/Y1),1.959964)
    out['qP sep t(21)']=(r,np.sqrt(f0/Y0+f1/Y1),stats.t.ppf(.975,21))
    fp=(( (np.array(list(y0)+[0]*(16-len(y0)))-Y0/16)**2/(Y0/16)).sum()+((np.array(y1)-Y1/7)**2/(Y1/7)).sum())/(16+7-2)
    out['qP pooled z']=(r,np.sqrt(fp*(1/Y0+1/Y1)),1.959964)
    out['qP pooled t21']=(r,np.sqrt(fp*(1/Y0+1/Y1)),stats.t.ppf(.975,21))
    # sandwich on totals: var(log Y) = sum y_s^2 / Y^2  (CR0), with G/(G-1)
    s0=sum(v*v for v in y0)/Y0**2; s1=sum(v*v for v in y1)/Y1**2
    out['sand0 z']=(r,np.sqrt(s0+s1),1.959964)
    # robust: sum (y_s - Y/G)^2 / Y^2
    v0=sum((v-Y0/16)**2 for v in list(y0)+[0]*(16-len(y0)))/Y0**2; v1=sum((v-Y1/7)**2 for v in y1)/Y1**2
    out['cr0 z']=(r,np.sqrt(v0+v1),1.959964)
    out['cr1 z']=(r,np.sqrt(v0*16/15+v1*7/6),1.959964)
    out['cr0 t21']=(r,np.sqrt(v0+v1),stats.t.ppf(.975,21))
    out['cr1 t21']=(r,np.sqrt(v0*16/15+v1*7/6),stats.t.ppf(.975,21))
    # only the encoding services (zeros dropped)
    v0n=sum((v-Y0/len(y0))**2 for v in y0)/Y0**2
    out['cr0nz z']=(r,np.sqrt(v0n+v1),1.959964)
    return out
res={}
for t in trip:
    y0=[30]+list(t)
    for p in parts:
        y1=[11,10,34,9]+list(p)
        for k,(r,se,q) in variants(y0,y1).items():
            lo,hi=np.exp(r-q*se),np.exp(r+q*se)
            if lo_ok[0]<=lo<=lo_ok[1] and hi_ok[0]<=hi<=hi_ok[1]:
                res.setdefault(k,[]).append((t,p))
for k,v in res.items(): print(k,len(v),v[:30])
print('variants with no solution:',[k for k in variants([30,20,15,14],[11,10,34,9,8,3,2]) if k not in res])
