"""Which design effects (deff0 for 'avant', deff1 for 'maintenant') reproduce the printed Newcombe intervals of Table 11.4?
Model: Wilson interval on n/deff for each period, Newcombe hybrid score for the difference."""
from math import sqrt
import numpy as np, sys
def wil(p,n,z=1.959963984540054):
    d=1+z*z/n; c=(p+z*z/(2*n))/d; h=z*sqrt(p*(1-p)/n+z*z/(4*n*n))/d; return c-h,c+h
def newc(p0,n0,p1,n1,f0,f1):
    l0,u0=wil(p0,n0/f0); l1,u1=wil(p1,n1/f1); d=p1-p0
    return 100*(d-sqrt((p1-l1)**2+(u0-p0)**2)),100*(d+sqrt((u1-p1)**2+(p0-l0)**2))
rows={
 'np1':[('SG',39,19,-38.3,-9.5),('SM',7,13,-3.2,20.0),('AS',16,13,-15.5,9.0),('F',44,46,-11.2,19.0)],
 'np2':[('SG',39,17,-40.6,-12.3),('SM',7,12,-4.0,17.5),('AS',16,15,-13.3,11.8),('F',44,42,-19.9,17.2)],
 'np3':[('SG',39,12,-46.4,-19.3),('SM',7,17,1.6,24.6),('AS',16,16,-12.1,13.2),('F',44,43,-15.5,15.7)],
}
def ranges(book):
    out={}
    for k,x0,x1,lo,hi in rows[book]:
        p0,p1=x0/79,x1/77; sols=[]
        for f0 in np.arange(1,4.0001,0.005):
            for f1 in np.arange(1,4.0001,0.005):
                a,b=newc(p0,79,p1,77,f0,f1)
                if abs(a-lo)<=0.05 and abs(b-hi)<=0.05: sols.append((round(f0,3),round(f1,3)))
        out[k]=sols
    return out
if __name__=='__main__':
    for b in rows:
        r=ranges(b)
        for k,s in r.items():
            f0=sorted(set(x[0] for x in s)); f1=sorted(set(x[1] for x in s))
            print(b,k,len(s),'deff0',(f0[0],f0[-1]) if s else None,'deff1',(f1[0],f1[-1]) if s else None)
