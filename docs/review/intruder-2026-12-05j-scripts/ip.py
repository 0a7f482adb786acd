"""Generic integer-programming bounds on suppressed cells (scipy milp)."""
import numpy as np, pandas as pd, re
from scipy.optimize import milp, LinearConstraint, Bounds
B='/tmp/redteam11/books'
def num(s):
    s=str(s).replace('\u202f','').replace('\xa0','').replace(' ','')
    return int(s) if re.fullmatch(r'\d+',s) else None
class IP:
    def __init__(s): s.v={}; s.lb=[]; s.ub=[]; s.A=[]; s.lo=[]; s.hi=[]; s.kind={}
    def var(s,name,cell,big=10**6):
        if name in s.v: return name
        s.v[name]=len(s.v); n=num(cell)
        if n is not None: s.lb.append(n); s.ub.append(n); s.kind[name]=str(n)
        elif '< 5' in str(cell) or '<\xa05' in str(cell): s.lb.append(0); s.ub.append(4); s.kind[name]='<5'
        else: s.lb.append(0); s.ub.append(big); s.kind[name]=str(cell)
        return name
    def eq(s,coef,rhs,lo=None):
        s.A.append(coef); s.lo.append(rhs if lo is None else lo); s.hi.append(rhs)
    def le(s,coef,rhs): s.A.append(coef); s.lo.append(-np.inf); s.hi.append(rhs)
    def ge(s,coef,rhs): s.A.append(coef); s.lo.append(rhs); s.hi.append(np.inf)
    def mat(s):
        M=np.zeros((len(s.A),len(s.v)))
        for i,c in enumerate(s.A):
            for k,a in c.items(): M[i,s.v[k]]+=a
        return M
    def bounds(s,names=None):
        M=s.mat(); out={}
        for name in (names or [k for k,t in s.kind.items() if t in('<5','n.p.')]):
            r=[]
            for sg in (1,-1):
                c=np.zeros(len(s.v)); c[s.v[name]]=sg
                res=milp(c,constraints=[LinearConstraint(M,s.lo,s.hi)],bounds=Bounds(s.lb,s.ub),integrality=np.ones(len(s.v)))
                r.append(None if res.x is None else round(sg*res.fun))
            out[name]=(s.kind[name],r[0],r[1])
        return out
    def feasible_values(s,name,rng):
        M=s.mat(); ok=[]
        for val in rng:
            lb=list(s.lb); ub=list(s.ub); lb[s.v[name]]=val; ub[s.v[name]]=val
            res=milp(np.zeros(len(s.v)),constraints=[LinearConstraint(M,s.lo,s.hi)],bounds=Bounds(lb,ub),integrality=np.ones(len(s.v)))
            if res.x is not None: ok.append(val)
        return ok
