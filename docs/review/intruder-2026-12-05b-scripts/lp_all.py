"""Integer programs over every linked table system of the three books (redteam8)."""
from ipkit import IP
import math
Q=lambda: None
# ====================== EXAMPLE ======================
p=IP('EXAMPLE communes Tab 8.1 (+ Fig 10.3: Q2=12 from whiskers, Q5 bar "< 5")')
sm=['Aud','Ber','Eve','For','Gan','Koe','SG','SJ','Ucc','WB','WSL','WSP']; p.small(*sm); p.np_('Sch','Hors')
p.sum_eq(sm+['Sch','Hors'],79-(11+6+14+5+13+5))
p.sum_eq(['SG','Koe','Sch'],12)
p.rng({k:1 for k in ['WSL','WB','Aud','Ucc','WSP']},0,4)
p.run()
p=IP('EXAMPLE envoyeurs Tab 8.2 (+ 2022 report: IP = 0; Fig premiere-ligne PRR bar "< 5": IP+Ent<=4)')
sm=['IP','Ent','Ens','AJ','Jus','Log','Aut','Inc']; p.small(*sm); p.sum_eq(sm,79-39-7-16)
p.rng({'IP':1,'Ent':1},0,4); p.run()
p2=IP('  same + IP=0 (2022 report "effectif vaut 0")'); p2.v=dict(p.v); p2.order=list(p.order); p2.rows=list(p.rows); p2.eq({'IP':1},0); p2.run()
p=IP('EXAMPLE revenus Tab 8.4'); p.small('Pen','Hand','Aut'); p.np_('Inc'); p.sum_eq(['Pen','Hand','Aut','Inc'],79-(8+9+22+14+12)); p.run()
p=IP('EXAMPLE pros Tab 8.3'); p.np_('Ecole'); p.small('MdR'); p.sum_eq(['Ecole','MdR'],124-115); p.run()
# ages: 0-11:9 (min age 3 => one person is 3), 12-17 b n.p., 18-24 c <5, 25-44 28, 45-64 28, 65+ f n.p. (>=1, max 89)
p=IP('EXAMPLE ages (annex F) + mean 37,8 + 2022 min 3 / max 89')
p.np_('b'); p.small('c'); p.var('f',1,500); p.var('S',math.ceil(79*37.75),math.floor(79*37.85))
p.sum_eq(['b','c','f'],79-9-28-28)
p.rng({'S':1,'b':-12,'c':-18,'f':-65},3+3*8+25*28+45*28+(89-65),1e9)
p.rng({'S':1,'b':-17,'c':-24,'f':-89},-1e9,3+11*8+44*28+64*28)
p.run(['b','c','f'])
p=IP('EXAMPLE quality D.1/D.2 + prose 9 411 / 8 922 / 489')
p.np_('u','udup'); p.small('p','uoth')
p.eq({'u':1,'p':1},489-414-33-5); p.eq({'u':1,'udup':-1,'uoth':-1},0); p.run()
# ====================== NEWPERIOD ======================
def communes(title,known,smalls,nps,total,quint):
    p=IP(title); p.small(*smalls); p.np_(*nps)
    p.sum_eq(smalls+nps,total-sum(known.values()))
    for mem,lo,hi in quint:
        k=sum(known.get(m,0) for m in mem); vs=[m for m in mem if m not in known]
        p.rng({m:1 for m in vs},lo-k,hi-k)
    return p
allc=['And','Aud','Ber','Bx','Ett','Eve','For','Gan','Ixe','Jet','Koe','Mol','SG','SJ','Sch','Ucc','WB','WSL','WSP']
Q1=['SJ','Mol','And'];Q2=['SG','Koe','Sch'];Q3=['Bx','Gan','Jet'];Q4=['Eve','For','Ber','Ett','Ixe'];Q5=['WSL','WB','Aud','Ucc','WSP']
nps=['And','Bx','Sch','Ucc']
communes('NEWPERIOD communes Tab 8.1 + Fig 10.3 (Q2=12, Q3 in 10..11, Q5 in 17..18)',{},[c for c in allc if c not in nps],nps,77-6,
         [(Q2,12,12),(Q3,10,11),(Q5,17,18)]).run()
p=IP('NEWPERIOD envoyeurs Tab 8.2'); sm=['Ent','Ens','AJ','Jus','Aut','Inc']; p.small(*sm); p.np_('IP'); p.sum_eq(sm+['IP'],77-19-13-13-5); p.run()
p=IP('NEWPERIOD revenus Tab 8.4'); p.small('Pen'); p.np_('SR'); p.sum_eq(['Pen','SR'],77-(10+15+12+9+6+7+9)); p.run()
p=IP('NEWPERIOD pros Tab 8.3'); sm=['SSM','SS','Log','Ecole','AJ','MdR','Aut']; p.small(*sm); p.sum_eq(sm,42-27); p.run()
p=IP('NEWPERIOD ages (annex F: <5,<5,n.p.,35,21,10) + mean 43,1 (max age <= 110)')
p.small('a','b'); p.np_('c'); p.var('S',math.ceil(77*43.05),math.floor(77*43.15)); p.sum_eq(['a','b','c'],77-66)
p.rng({'S':1,'b':-12,'c':-18},25*35+45*21+65*10,1e9); p.rng({'S':1,'a':-11,'b':-17,'c':-24},-1e9,44*35+64*21+110*10); p.run(['a','b','c'])
p=IP('NEWPERIOD quality D.1/D.2 (usagers 93=77+16=11+5; pros n.p./42/n.p. = dup n.p. + autres <5; census n.p./36/<5)')
p.np_('pexcl','pdup'); p.small('poth','rexcl'); p.eq({'pexcl':1,'pdup':-1,'poth':-1},0); p.run()
p=IP('NEWPERIOD census Tab 9.1 (36: suivi 16, LA n.p., reo 5, SS n.p.; RC <5; RC/reo <5/5; sat <5/<5)')
p.np_('LA','SS'); p.small('RC','Known','Sat'); p.sum_eq(['LA','SS'],36-16-5); p.rng({'Known':1,'RC':-1},-1e9,0); p.rng({'Sat':1,'Known':-1},-1e9,0); p.run()
for lo in (0,1):
    p=IP(f'NEWPERIOD census communes Tab 10.2 (Forest 5, And n.p., 17 <5, Hors <5, Inconnu <5; Hors/Inc >= {lo})')
    sm=[c for c in allc if c not in ('For','And')]; p.small(*sm); p.np_('And'); p.var('Hors',lo,4); p.var('Inc',lo,4)
    p.sum_eq(sm+['And','Hors','Inc'],36-5); p.run(quiet=True)
# ====================== NEWPERIOD2 ======================
nps=['And','Bx','SG','Sch']; known={'Aud':8,'Gan':5,'Ucc':5}
communes('NEWPERIOD2 communes Tab 8.1 + Fig 10.3 (Q2 16..17, Q3 14..15, Q5 17..18)',known,[c for c in allc if c not in nps and c not in known],nps,77-12,
         [(Q2,16,17),(Q3,14,15),(Q5,17,18)]).run()
p=IP('NEWPERIOD2 envoyeurs Tab 8.2'); sm=['Ens','AJ','Jus','Aut','Inc']; p.small(*sm); p.sum_eq(sm,77-(8+5+17+12+15+8)); p.run()
p=IP('NEWPERIOD2 revenus Tab 8.4'); p.small('Cho','Aut'); p.np_('Hand'); p.sum_eq(['Cho','Aut','Hand'],77-(6+17+11+6+16+11)); p.run()
p=IP('NEWPERIOD2 pros Tab 8.3'); sm=['MM','Log','Ecole','AJ','MdR','Aut']; p.small(*sm); p.sum_eq(sm,42-35); p.run()
p=IP('NEWPERIOD2 ages (annex F: <5,<5,13,29,25,n.p.) + mean 43,9 (max age <= 110)')
p.small('a','b'); p.np_('f'); p.var('S',math.ceil(77*43.85),math.floor(77*43.95)); p.sum_eq(['a','b','f'],77-67)
p.rng({'S':1,'b':-12,'f':-65},18*13+25*29+45*25,1e9); p.rng({'S':1,'a':-11,'b':-17,'f':-110},-1e9,24*13+44*29+64*25); p.run(['a','b','f'])
p=IP('NEWPERIOD2 census Tab 9.1 only (suivi n.p., LA 11, reo 11, SS <5; RC n.p.; RC/reo n.p./11; sat <5 / 5)')
p.np_('Suivi','RC'); p.small('SS','Sat'); p.sum_eq(['Suivi','SS'],36-22); p.rng({'RC':1},5,11); p.run()
p=IP('NEWPERIOD2 census Tab 9.1 + §9.3 "C\'est le cas de 76,2 % des demandes" (censored among suivi+LA)')
p.np_('Suivi','RC','Cens'); p.small('SS','Sat'); p.sum_eq(['Suivi','SS'],36-22); p.rng({'RC':1},5,11)
# 0.7615 <= Cens/(Suivi+11) < 0.7625
p.rng({'Cens':1,'Suivi':-0.7615},0.7615*11,1e9); p.rng({'Cens':1,'Suivi':-0.7625},-1e9,0.7625*11-1e-9); p.run()
for lo in (0,1):
    p=IP(f'NEWPERIOD2 census communes Tab 10.2 (Ixelles n.p., 18 <5, Inconnu <5 >= {lo}; Hors Bruxelles not listed => 0)')
    sm=[c for c in allc if c!='Ixe']; p.small(*sm); p.np_('Ixe'); p.var('Inc',lo,4)
    p.sum_eq(sm+['Ixe','Inc'],36); p.run(quiet=True)
