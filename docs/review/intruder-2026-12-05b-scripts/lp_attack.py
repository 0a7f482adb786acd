"""Integer/linear bounds on suppressed cells from published relations.
Each system: variables with bounds, equality / inequality constraints.
min/max per variable by scipy.optimize.milp (integers)."""
import numpy as np
from scipy.optimize import milp, LinearConstraint, Bounds

def solve(name, vars_, eqs, ineqs=(), binaries=None):
    """vars_: dict name->(lo,hi); eqs: list of (dict coef, rhs); ineqs: list of (dict coef, lo, hi)"""
    names=list(vars_)
    idx={n:i for i,n in enumerate(names)}
    n=len(names)
    A=[];lo=[];hi=[]
    for coef,rhs in eqs:
        row=np.zeros(n)
        for k,v in coef.items(): row[idx[k]]+=v
        A.append(row);lo.append(rhs);hi.append(rhs)
    for coef,l,h in ineqs:
        row=np.zeros(n)
        for k,v in coef.items(): row[idx[k]]+=v
        A.append(row);lo.append(l);hi.append(h)
    cons=LinearConstraint(np.array(A),lo,hi)
    b=Bounds([vars_[k][0] for k in names],[vars_[k][1] for k in names])
    print(f"\n=== {name}")
    for k in names:
        res=[]
        for sgn in (1,-1):
            c=np.zeros(n); c[idx[k]]=sgn
            r=milp(c,constraints=cons,bounds=b,integrality=np.ones(n))
            res.append(None if r.status!=0 else round(sgn*r.fun))
        orig=vars_[k]
        flag=''
        if res[0] is not None and orig[1]<=4 and (res[1]-res[0]+1)<5: flag='  <-- NARROWED (<5 values)'
        if res[0] is not None and res[0]==res[1]: flag+='  <-- EXACT'
        print(f"  {k:38s} published range {orig} -> feasible [{res[0]}, {res[1]}]{flag}")

BIG=200
# ---------- Example book, Table 8.1 communes + Fig 10.3 quintiles ----------
small=lambda: (0,4)
v={'Aud':small(),'Ber':small(),'Eve':small(),'For':small(),'Gan':small(),'Koe':small(),'SG':small(),'SJ':small(),
   'Ucc':small(),'WB':small(),'WSL':small(),'WSP':small(),'Sch':(0,BIG),'Hors':(0,BIG)}
known=11+6+14+5+13+5  # And, Bx, Ett, Ixe, Jet, Mol
eqs=[({k:1 for k in v},79-known),
     ({'SG':1,'Koe':1,'Sch':1},12)]       # Q2 = 12 from Fig 10.3 exact Poisson CI (0.3-1.0) and rate 0.6, pop 201 550
ine=[({'WSL':1,'WB':1,'Aud':1,'Ucc':1,'WSP':1},0,4)]  # Q5 bar labelled "< 5"
solve('EXAMPLE communes (Tab 8.1 + Fig 10.3 Q2=12, Q5<5)',v,eqs,ine)

# ---------- Example envoyeurs Table 8.2 + 2022 report IP=0 ----------
v={'IP':(0,0),'Ent':small(),'Ens':small(),'AJ':small(),'Jus':small(),'Log':small(),'Aut':small(),'Inc':small()}
eqs=[({k:1 for k in v},79-39-7-16)]
ine=[({'IP':1,'Ent':1},0,4)]
solve('EXAMPLE envoyeurs (Tab 8.2, 2022: IP=0, fig premiere ligne "<5")',v,eqs,ine)

# ---------- Example revenus 8.4, pros 8.3 ----------
solve('EXAMPLE revenus (Tab 8.4)',{'Pen':small(),'Hand':small(),'Aut':small(),'Inc':(0,BIG)},[({'Pen':1,'Hand':1,'Aut':1,'Inc':1},79-(8+9+22+14+12))])
solve('EXAMPLE pros (Tab 8.3)',{'Ecole':(0,BIG),'MdR':small()},[({'Ecole':1,'MdR':1},124-(22+18+15+14+12+13+10+6+5))])

# ---------- Example ages (notebook table) + 2022 min 3 / max 89, mean 37.8 ----------
# classes: a 0-11 (9 persons), b 12-17 n.p., c 18-24 <5, d 25-44 (28), e 45-64 (28), f 65+ n.p. (>=1 since max 89)
# sum of ages S in [2983, 2990]; bounds S >= 3*9 + 12b + 18c + 25*28 + 45*28 + 65 f ; S <= 11*9 + 17b + 24c + 44*28 + 64*28 + 89 f
v={'b':(0,BIG),'c':small(),'f':(1,BIG),'S':(2983,2990)}
eqs=[({'b':1,'c':1,'f':1},79-9-28-28)]
ine=[({'S':1,'b':-12,'c':-18,'f':-65},3*9+25*28+45*28,1e9),({'S':1,'b':-17,'c':-24,'f':-89},-1e9,11*9+44*28+64*28)]
solve('EXAMPLE ages (+2022 min/max, mean 37.8)',v,eqs,ine)

# ---------- Example quality D.1 ----------
# read: 3833 + U + P + 5333 + 5 = 9411 ; excluded 414 + u + p + 33 + 5 = 489 ; usagers u = udup(n.p.) + uoth(<5) ; p = poth (<5)
v={'u':(0,BIG),'p':small(),'udup':(0,BIG),'uoth':small(),'poth':small()}
eqs=[({'u':1,'p':1},489-414-33-5),({'u':1,'udup':-1,'uoth':-1},0),({'p':1,'poth':-1},0)]
solve('EXAMPLE quality D.1/D.2',v,eqs)

# ---------- NEWPERIOD communes Table 8.1 + Fig 10.3 ----------
v={'And':(0,BIG),'Aud':small(),'Ber':small(),'Bx':(0,BIG),'Ett':small(),'Eve':small(),'For':small(),'Gan':small(),'Ixe':small(),
   'Jet':small(),'Koe':small(),'Mol':small(),'SG':small(),'SJ':small(),'Sch':(0,BIG),'Ucc':(0,BIG),'WB':small(),'WSL':small(),'WSP':small()}
eqs=[({k:1 for k in v},77-6),({'SG':1,'Koe':1,'Sch':1},12)]
ine=[({'Bx':1,'Gan':1,'Jet':1},10,11),({'WSL':1,'WB':1,'Aud':1,'Ucc':1,'WSP':1},17,18)]
solve('NEWPERIOD communes (Tab 8.1 + Fig 10.3: Q2=12, Q3 in {10,11}, Q5 in {17,18})',v,eqs,ine)

# ---------- NEWPERIOD envoyeurs, revenus, pros, ages ----------
v={'IP':(0,BIG),'Ent':small(),'Ens':small(),'AJ':small(),'Jus':small(),'Aut':small(),'Inc':small()}
solve('NEWPERIOD envoyeurs (Tab 8.2)',v,[({k:1 for k in v},77-19-13-13-5)])
solve('NEWPERIOD revenus (Tab 8.4)',{'Pen':small(),'SansRev':(0,BIG)},[({'Pen':1,'SansRev':1},77-(10+15+12+9+6+7+9))])
v={'a':small(),'b':small(),'c':(0,BIG),'S':(3315,3322)}
ine=[({'S':1,'b':-12,'c':-18},25*35+45*21+65*10,1e9),({'S':1,'a':-11,'b':-17,'c':-24},-1e9,44*35+64*21+110*10)]
solve('NEWPERIOD ages (fig 8.1 + mean 43.1)',v,[({'a':1,'b':1,'c':1},77-35-21-10)],ine)
# quality: excluded 72 = 44 + 16 + p + r ; p = pdup(n.p.) + poth(<5); r = roth (<5)
v={'p':(0,BIG),'pdup':(0,BIG),'poth':small(),'r':small()}
solve('NEWPERIOD quality D.1/D.2',v,[({'p':1,'r':1},72-44-16),({'p':1,'pdup':-1,'poth':-1},0)])
# census 9.1: suivi 16, LA n.p., reo 5, SS n.p.; constrained <5 (<=5); saturated <5 over known <5
v={'LA':(0,BIG),'SS':(0,BIG),'RC':small(),'Sat':small(),'Known':small()}
solve('NEWPERIOD census issues (Tab 9.1)',v,[({'LA':1,'SS':1},36-16-5)],[({'RC':1},0,5),({'Sat':1,'Known':-1},-BIG,0),({'Known':1,'RC':-1},-BIG,0)])
# census communes 10.2: Forest 5, And n.p., 17 others <5, Hors <5, Inconnu <5 ; total 36
cv={f'c{i}':small() for i in range(17)}; cv.update({'And':(0,BIG),'Hors':small(),'Inc':small()})
solve('NEWPERIOD census communes (Tab 10.2)',cv,[({k:1 for k in cv},36-5)])
