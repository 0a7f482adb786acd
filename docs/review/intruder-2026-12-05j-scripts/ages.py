"""Age classes (Fig 8.1 SVG labels) + printed mean age (+ 2022 min/max for example) -> IP bounds."""
import numpy as np
from scipy.optimize import milp, LinearConstraint, Bounds
cls=[(0,11),(12,17),(18,24),(25,44),(45,64),(65,110)]
books={ # counts per class + unknown ; None='<5', 'np'
 'example':([9,'np','<5',28,28,'np'],'<5',79,37.8,(3,89)),
 'newperiod1':(['<5','<5','np',35,21,10],'<5',77,43.1,None),
 'newperiod2':(['<5','<5',13,29,25,'np'],'<5',77,43.9,None),
 'newperiod3':(['<5','<5','np',25,26,17],'<5',77,46.2,None),
}
for b,(cnt,unk,N,mean,mm) in books.items():
    vals=cnt+[unk]; nv=7; # n0..n5, u ; then S0..S5
    V=nv+6
    def bnd(v): return (v,v) if isinstance(v,int) else ((0,4) if v=='<5' else (0,N))
    lb=[bnd(v)[0] for v in vals]+[0]*6; ub=[bnd(v)[1] for v in vals]+[1e5]*6
    A=[];lo=[];hi=[]
    r=np.zeros(V); r[:7]=1; A.append(r); lo.append(N); hi.append(N)
    for i,(a,z) in enumerate(cls):
        if mm and i==0: a=mm[0]
        if mm and i==5: z=mm[1]
        r=np.zeros(V); r[7+i]=1; r[i]=-a; A.append(r); lo.append(0); hi.append(np.inf)
        r=np.zeros(V); r[7+i]=1; r[i]=-z; A.append(r); lo.append(-np.inf); hi.append(0)
    if mm:  # min age 3 in class 0 (known anyway), max 89 in 65+ -> n5>=1
        lb[5]=max(lb[5],1)
    # mean within rounding: (mean-0.05)*Nk <= sum S <= (mean+0.05)*Nk, Nk=sum n0..n5
    for sgn,m in ((1,mean-0.05),(-1,mean+0.05)):
        r=np.zeros(V); r[7:]=1; r[:6]=-m
        if sgn==1: A.append(r); lo.append(0); hi.append(np.inf)
        else: A.append(r); lo.append(-np.inf); hi.append(0)
    integ=np.r_[np.ones(7),np.zeros(6)]
    print('==',b)
    for i,v in enumerate(vals):
        if isinstance(v,int): continue
        out=[]
        for s in (1,-1):
            c=np.zeros(V); c[i]=s
            res=milp(c,constraints=[LinearConstraint(np.array(A),lo,hi)],bounds=Bounds(lb,ub),integrality=integ)
            out.append(round(s*res.fun))
        name=(['0-11','12-17','18-24','25-44','45-64','65+','unknown'])[i]
        print(f'  {name:8s} {v:4s} [{out[0]},{out[1]}]')
