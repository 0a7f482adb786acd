from math import sqrt
import numpy as np
from scipy.optimize import brentq
def wil(p,n,z=1.959963984540054):
    d=1+z*z/n; c=(p+z*z/(2*n))/d; h=z*sqrt(p*(1-p)/n+z*z/(4*n*n))/d; return c-h,c+h
def newc_eff(p0,n0,p1,n1,mode,f0,f1):
    if mode=='neff':
        l0,u0=wil(p0,n0/f0); l1,u1=wil(p1,n1/f1)
    else:
        l0,u0=wil(p0,n0); l1,u1=wil(p1,n1)
        s0,s1=sqrt(f0),sqrt(f1); l0,u0=p0-(p0-l0)*s0,p0+(u0-p0)*s0; l1,u1=p1-(p1-l1)*s1,p1+(u1-p1)*s1
    d=p1-p0
    return 100*(d-sqrt((p1-l1)**2+(u0-p0)**2)),100*(d+sqrt((u1-p1)**2+(p0-l0)**2))
rows=[('np1 SM',7,13,-3.2,20.0),('np2 SM',7,12,-4.0,17.5),('np2 Femme',44,42,-19.9,17.2),('np1 Femme',44,46,-11.2,19.0),('np1 SG',39,19,-38.3,-9.5),('np1 AS',16,13,-15.5,9.0),('np2 SG',39,17,-40.6,-12.3),('np2 AS',16,15,-13.3,11.8)]
for mode in ['neff','scale']:
  print('== mode',mode)
  for k,x0,x1,lo,hi in rows:
    p0,p1=x0/79,x1/77
    sols=[]
    for f0 in np.arange(1,3.001,0.01):
        for f1 in np.arange(1,3.001,0.01):
            a,b=newc_eff(p0,79,p1,77,mode,f0,f1)
            if abs(a-lo)<=0.05 and abs(b-hi)<=0.05: sols.append((round(f0,2),round(f1,2)))
    f0s=sorted(set(s[0] for s in sols)); f1s=sorted(set(s[1] for s in sols))
    print(k, len(sols), 'deff0 range',(f0s[0],f0s[-1]) if sols else None,'deff1 range',(f1s[0],f1s[-1]) if sols else None)
