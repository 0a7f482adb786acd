"""Small integer-programming kit: min/max and feasible small values (0..4) of each cell."""
import numpy as np
from scipy.optimize import milp, LinearConstraint, Bounds
BIG=500
class IP:
    def __init__(s,title): s.title=title; s.v={}; s.rows=[]; s.order=[]
    def var(s,name,lo=0,hi=BIG,show=True):
        s.v[name]=(lo,hi);
        if show: s.order.append(name)
    def small(s,*names):
        for n in names: s.var(n,0,4)
    def np_(s,*names):
        for n in names: s.var(n,0,BIG)
    def eq(s,coef,rhs): s.rows.append((coef,rhs,rhs))
    def rng(s,coef,lo,hi): s.rows.append((coef,lo,hi))
    def sum_eq(s,names,rhs): s.eq({n:1 for n in names},rhs)
    def nonzero_count(s,names,lo,hi,M=BIG):
        """binary y_n = [x_n>0]; lo <= sum y <= hi"""
        for n in names:
            y='y_'+n; s.var(y,0,1,show=False)
            s.rng({n:1,y:-M},-np.inf,0); s.rng({n:1,y:-1},0,np.inf)
        s.rng({'y_'+n:1 for n in names},lo,hi)
    def _solve(s,c,extra=()):
        names=list(s.v); idx={n:i for i,n in enumerate(names)}; N=len(names)
        A=[];lo=[];hi=[]
        for coef,l,h in list(s.rows)+list(extra):
            r=np.zeros(N)
            for k,val in coef.items(): r[idx[k]]+=val
            A.append(r);lo.append(l);hi.append(h)
        cv=np.zeros(N)
        for k,val in c.items(): cv[idx[k]]=val
        b=Bounds([s.v[n][0] for n in names],[s.v[n][1] for n in names])
        r=milp(cv,constraints=LinearConstraint(np.array(A),lo,hi) if A else (),bounds=b,integrality=np.ones(N))
        return r
    def run(s,cells=None,quiet=False):
        print(f"\n=== {s.title}")
        out={}
        for k in (cells or s.order):
            mn=s._solve({k:1}); mx=s._solve({k:-1})
            if mn.status!=0: print('  INFEASIBLE'); return None
            a=round(mn.fun); b=round(-mx.fun)
            feas=[v for v in range(0,5) if a<=v<=b and s._solve({k:1},[({k:1},v,v)]).status==0]
            nvals=None
            if b-a<=10:
                nvals=[v for v in range(a,b+1) if s._solve({k:1},[({k:1},v,v)]).status==0]
            tag=''
            small_cell = s.v[k][1]<=4
            if small_cell and len(feas)<5: tag='  <-- NARROWED'
            if nvals is not None and len(nvals)<5 and a<5: tag+='  <-- <5 possible values: %s'%nvals
            if a==b: tag+='  <-- EXACT'
            if not quiet or tag: print(f"  {k:34s} published {str(s.v[k]):10s} -> [{a}, {b}] small values feasible {feas}{tag}")
            out[k]=(a,b,feas,nvals)
        return out
