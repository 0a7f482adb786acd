"""Integer programs over every linked table system of the four books (redteam4)."""
from ipkit import IP
allc=['And','Aud','Ber','Bx','Ett','Eve','For','Gan','Ixe','Jet','Koe','Mol','SG','SJ','Sch','Ucc','WB','WSL','WSP']
Q1=['SJ','Mol','And'];Q2=['SG','Koe','Sch'];Q3=['Bx','Gan','Jet'];Q4=['Eve','For','Ber','Ett','Ixe'];Q5=['WSL','WB','Aud','Ucc','WSP']
Q3ex=['Bx','Gan','Eve'];Q4ex=['For','Jet','Ber','Ett','Ixe']
def communes(title,known,nps,total,quint):
    p=IP(title); smalls=[c for c in allc if c not in known and c not in nps]
    p.small(*smalls); p.np_(*[n for n in nps])
    p.sum_eq(smalls+list(nps),total-sum(known.values()))
    for mem,lo,hi in quint:
        k=sum(known.get(m,0) for m in mem); vs=[m for m in mem if m not in known]
        p.rng({m:1 for m in vs},lo-k,hi-k)
    return p
def ages(title,N,known_classes,smalls,nps,mean,lo_hi,extra_min=None):
    """known_classes: dict class->count; smalls/nps: class names; lo_hi: class->(lo,hi) ages; 'u' = unknown age"""
    p=IP(title); p.small(*smalls); p.np_(*nps)
    cls=[c for c in smalls+nps if c!='u']
    p.sum_eq(smalls+nps,N-sum(known_classes.values()))
    p.var('S',0,20000,show=False); p.var('K',0,N,show=False)
    p.eq({'K':1,**{c:-1 for c in cls}},sum(known_classes.values()))
    p.rng({'S':1,'K':-(mean-0.05)},0,1e9); p.rng({'S':1,'K':-(mean+0.05)},-1e9,0)
    kmin=sum(n*lo_hi[c][0] for c,n in known_classes.items()); kmax=sum(n*lo_hi[c][1] for c,n in known_classes.items())
    p.rng({'S':1,**{c:-lo_hi[c][0] for c in cls}},kmin,1e9); p.rng({'S':1,**{c:-lo_hi[c][1] for c in cls}},-1e9,kmax)
    return p
LH={'a':(0,11),'b':(12,17),'c':(18,24),'d':(25,44),'e':(45,64),'f':(65,120)}
# ---------------- EXAMPLE
communes('EX users communes T8.1 + T10.3 (Q2=12, Q5<5)',{'And':11,'Ett':14,'Ixe':5,'Jet':13,'Mol':5},['Bx','Sch'],79-6,[(Q2,12,12),(Q5,0,4)]).run()
p=IP('EX envoyeurs T8.2 (IP=0 from 2022)'); sm=['Ent','Ens','AJ','Jus','Log','Aut','Inc']; p.small(*sm); p.sum_eq(sm,79-39-7-16); p.run()
p=IP('EX revenus T8.4'); sm=['Pen','Hand','Aut']; p.small(*sm); p.np_('Inc'); p.sum_eq(sm+['Inc'],79-(8+9+22+14+12)); p.run()
p=IP('EX pros T8.3'); p.small('MdR'); p.np_('Ecole'); p.sum_eq(['MdR','Ecole'],124-(22+18+15+14+12+13+10+6+5)); p.run()
LHex=dict(LH); LHex['a']=(3,11); LHex['f']=(65,89)
p=ages('EX ages F.3 + mean 37,8 + 2022 min 3 / max 89',79,{'a':9,'d':28,'e':28},['c','u'],['b','f'],37.8,LHex)
p.v['f']=(1,500); p.run(['b','c','f','u'])
p=IP('EX quality D.1/D.2 + prose 9411/8922/489'); p.np_('udup'); p.small('uoth','pexc'); p.eq({'udup':1,'uoth':1,'pexc':1},489-414-33-5); p.v['udup']=(5,500); p.run()
# ---------------- NP1
communes('NP1 users communes T8.1 + T10.3 (Q2=12,Q5=18)',{'Bx':9},['And','Sch','Ucc','Hors'],77,[(Q2,12,12),(Q5,18,18)]).run()
p=IP('NP1 envoyeurs T8.2'); sm=['Ent','Ens','AJ','Jus','Aut','Inc']; p.small(*sm); p.np_('IP'); p.sum_eq(sm+['IP'],77-(19+13+13+5)); p.run()
p=IP('NP1 revenus T8.4'); p.small('Pen'); p.np_('SR'); p.sum_eq(['Pen','SR'],77-(10+15+12+9+6+7+9)); p.run()
p=IP('NP1 pros T8.3'); sm=['SSM','SS','Log','Ecole','AJ','MdR','Aut']; p.small(*sm); p.sum_eq(sm,42-27); p.run()
ages('NP1 ages + mean 43,1',77,{'d':35,'e':21,'f':10},['a','b','u'],['c'],43.1,LH).run(['a','b','c','u'])
p=IP('NP1 census T9.1'); p.np_('LA','SS'); p.small('RC','Known','Sat'); p.sum_eq(['LA','SS'],15); p.rng({'Known':1,'RC':-1},-1e9,0); p.rng({'Sat':1,'Known':-1},-1e9,0); p.run()
p=IP('NP1 census communes T10.2 + hors calcul'); sm=[c for c in allc if c not in ('For','And')]+['BxInc','HorsB','Inc']; p.small(*sm); p.np_('And'); p.sum_eq(sm+['And'],36-5); p.run(quiet=True)
p=IP('NP1 quality'); p.np_('pdup'); p.small('poth','rexcl'); p.v['pdup']=(5,500); p.eq({'pdup':1,'poth':1,'rexcl':1},12); p.run()
# ---------------- NP2
communes('NP2 users communes T8.1 + T10.3 (Q2=16,Q3=15,Q5=18)',{'Aud':8,'Gan':5,'Ucc':5},['And','Bx','SG','Sch'],77-12,[(Q2,16,16),(Q3,15,15),(Q5,18,18)]).run()
p=IP('NP2 envoyeurs T8.2'); sm=['Ens','AJ','Jus','Aut','Inc']; p.small(*sm); p.sum_eq(sm,77-(8+5+17+12+15+8)); p.run()
p=IP('NP2 revenus T8.4'); sm=['Cho','Aut']; p.small(*sm); p.np_('Hand'); p.sum_eq(sm+['Hand'],77-(6+17+11+6+16+11)); p.run()
p=IP('NP2 pros T8.3'); sm=['MM','Log','Ecole','AJ','MdR','Aut']; p.small(*sm); p.sum_eq(sm,42-(6+6+6+6+5)); p.run()
ages('NP2 ages + mean 43,9',77,{'c':13,'d':29,'e':25},['a','b','u'],['f'],43.9,LH).run(['a','b','f','u'])
p=IP('NP2 census T9.1 + 76,2% (suivi+LA=21); RC known=5'); p.np_('Suivi','LA','Reo','RC'); p.small('SS','Sat'); p.sum_eq(['Suivi','LA'],21); p.sum_eq(['Reo','SS'],15); p.rng({'RC':1},5,1e9); p.rng({'RC':1,'Reo':-1},-1e9,0); p.run()
p=IP('NP2 quality'); p.np_('pdup'); p.small('poth','rexcl'); p.v['pdup']=(5,500); p.eq({'pdup':1,'poth':1,'rexcl':1},12); p.run()
# ---------------- NP3
communes('NP3 users communes T8.1 + T10.1 (Q2=17,Q3=16,Q4=15,Q5=11)',{'For':5,'Ixe':5,'Sch':8},['And','Bx','Koe','Hors'],77,[(Q2,17,17),(Q3,16,16),(Q4,15,15),(Q5,11,11)]).run()
p=IP('NP3 envoyeurs T8.2'); sm=['Ens','AJ','Jus','Log','Inc']; p.small(*sm); p.sum_eq(sm,77-65); p.run()
p=IP('NP3 revenus T8.4'); p.small('Aut'); p.np_('Pen'); p.sum_eq(['Aut','Pen'],77-68); p.run()
p=IP('NP3 pros T8.3'); sm=['MdA','MM','Log','Ecole','MdR','Aut']; p.small(*sm); p.sum_eq(sm,43-33); p.run()
ages('NP3 ages + mean 46,2',77,{'d':25,'e':26,'f':17},['a','b','u'],['c'],46.2,LH).run(['a','b','c','u'])
p=IP('NP3 Table 11.6 maintenant (CC, Gres, Pass <5, sum 5, 7 of 8 services encoded)'); p.small('CC','GRE','PAS'); p.sum_eq(['CC','GRE','PAS'],5); p.nonzero_count(['CC','GRE','PAS'],2,2); p.run(['CC','GRE','PAS'])
p=IP('NP3 quality: 387 read; census read/ret/excl <5; chapter 9: no census demand -> ret=0')
p.small('cread','cret','cexc','poth'); p.np_('pread','pexc','pdup'); p.v['pdup']=(5,500)
p.eq({'pread':1,'cread':1},387-240-93); p.eq({'pread':1,'pexc':-1},43); p.eq({'cread':1,'cret':-1,'cexc':-1},0); p.eq({'pexc':1,'pdup':-1,'poth':-1},0)
p.run(); p.eq({'cret':1},0); p.title+=' [with cret=0]'; p.run()
