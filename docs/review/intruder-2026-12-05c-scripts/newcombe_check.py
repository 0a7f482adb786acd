from math import sqrt
def wilson(x,n,z=1.959963984540054):
    p=x/n; d=1+z*z/n; c=(p+z*z/(2*n))/d; h=z*sqrt(p*(1-p)/n+z*z/(4*n*n))/d
    return c-h,c+h
def newc(x0,n0,x1,n1):
    p0,p1=x0/n0,x1/n1; l0,u0=wilson(x0,n0); l1,u1=wilson(x1,n1); d=p1-p0
    return 100*d,100*(d-sqrt((p1-l1)**2+(u0-p0)**2)),100*(d+sqrt((u1-p1)**2+(p0-l0)**2))
rows={'np1':[('Femme',44,46,-11.2,19.0),('SG',39,19,-38.3,-9.5),('SM',7,13,-3.2,20.0),('AS',16,13,-15.5,9.0)],
      'np2':[('Femme',44,42,-19.9,17.2),('SG',39,17,-40.6,-12.3),('SM',7,12,-4.0,17.5),('AS',16,15,-13.3,11.8)]}
for b,L in rows.items():
    for k,x0,x1,lo,hi in L:
        d,nl,nu=newc(x0,79,x1,77)
        print(b,k,f'd={d:.2f} newcombe {nl:.2f} {nu:.2f} printed {lo} {hi}  halves printed {d-lo:.2f}/{hi-d:.2f} newc {d-nl:.2f}/{nu-d:.2f}')
