"""Cross-book / public-report attack on Table 11.6 (newperiod book), column 'Nouvelles demandes avant' and 'maintenant'.
Binary indicator y_s = 1 if service s has >=1 request; 'N services ont encodé' bounds sum(y)."""
import numpy as np
from scipy.optimize import milp, LinearConstraint, Bounds
def run(title, cells, total, groups, nservices_max, nservices_min=0):
    names=list(cells); n=len(names); N=2*n
    A=[];lo=[];hi=[]
    def row(d):
        r=np.zeros(N)
        for k,v in d.items(): r[k]+=v
        return r
    A.append(row({i:1 for i in range(n)})); lo.append(total); hi.append(total)
    for g,t in groups:
        A.append(row({names.index(s):1 for s in g})); lo.append(t); hi.append(t)
    for i in range(n):                      # x_i <= 200 y_i ; x_i >= y_i
        A.append(row({i:1, n+i:-200})); lo.append(-np.inf); hi.append(0)
        A.append(row({i:1, n+i:-1})); lo.append(0); hi.append(np.inf)
    A.append(row({n+i:1 for i in range(n)})); lo.append(nservices_min); hi.append(nservices_max)
    cons=LinearConstraint(np.array(A),lo,hi)
    lb=[cells[s][0] for s in names]+[0]*n; ub=[cells[s][1] for s in names]+[1]*n
    b=Bounds(lb,ub)
    print('\n===',title)
    for i,s in enumerate(names):
        out=[]
        for sg in (1,-1):
            c=np.zeros(N); c[i]=sg
            r=milp(c,constraints=cons,bounds=b,integrality=np.ones(N))
            out.append(round(sg*r.fun) if r.status==0 else None)
        tag=''
        if cells[s][1]<=4 and out[1]-out[0]+1<5: tag='  <-- NARROWED'
        if out[0]==out[1]: tag+='  <-- EXACT'
        print(f'  {s:32s} printed {cells[s]} -> [{out[0]}, {out[1]}]{tag}')
S=(0,4); NP=(0,200)
before={'Chapelle-aux-Champs':S,'Champs de la Couronne':S,'CG Etterbeek':(15,15),"D'Ici et D'Ailleurs":S,'Dune':S,
        "L'Equipe":S,'Grès-Cerises':S,'IFISAM':S,'Ligue':S,'Méridien':S,'Mobiwest':(30,30),'MS Triangle':NP,
        'Primavera':S,'Norois':NP,'Rézone':S,'Smes':S}
both=['Dune','Grès-Cerises','Méridien','Mobiwest','Norois','Smes']
run('BEFORE (sept 2021-avr 2022): Tab 11.6 + Tab 11.4 "présents aux deux éditions (50)" + NO constraint on #services',
    before,79,[(both,50)],16)
run('BEFORE + "4 services ont encodé 79 nouvelles demandes" (example book 8.1 / annex B; 2022 report p.~: "4 institutions")',
    before,79,[(both,50)],4)
now={'Dune':NP,'Grès-Cerises':S,'Méridien':(11,11),'Mobiwest':(10,10),'Norois':(34,34),'Passerelle':S,'Smes':(9,9)}
run('NOW (janv-juin 2023): Tab 11.6, no constraint on #services',now,77,[],7,0)
run('NOW + "7 services ont encodé 77 nouvelles demandes" (newperiod 8.1)',now,77,[],7,7)
