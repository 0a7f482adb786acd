"""Annex C (codebook): income_source, referrer (users) and requesting_service (pros) are 'Obligatoire : oui' and their
admitted values contain no 'non renseigné' => the 'Non renseigné' rows of Tables 8.2, 8.3, 8.4 are structurally 0."""
from ipkit import IP
def t(title,smalls,rest):
    p=IP(title); p.small(*smalls); p.sum_eq(smalls,rest); p.eq({'NR':1},0); p.run()
t('EX revenus T8.4 (Pension, Handicap, Autre, NR <5; sum 79-70=9)',['Pen','Hand','Aut','NR'],79-(8+9+22+14+12+5))
t('EX pros T8.3 (Maison de repos, NR <5; sum 124-120=4)',['MdR','NR'],124-(22+18+15+14+12+13+10+5+6+5))
t('EX envoyeurs T8.2 (9 smalls sum 17)',['IP','Ent','Ens','AJ','Jus','Log','Aut','Inc','NR'],79-39-7-16)
t('NP1 revenus T8.4 (Pension, NR <5; sum 77-73=4)',['Pen','NR'],77-(10+15+12+9+6+5+7+9))
t('NP1 envoyeurs T8.2',['Ent','Ens','AJ','Jus','Aut','Inc','NR'],77-(10+19+13+13+5))
t('NP1 pros T8.3',['SSM','SS','Log','Ecole','AJ','MdR','Aut','NR'],42-27)
t('NP2 revenus T8.4 (Chomage, Autre, NR <5; sum 77-72=5)',['Cho','Aut','NR'],77-(6+17+11+6+5+16+11))
t('NP2 envoyeurs T8.2',['Ens','AJ','Jus','Aut','Inc','NR'],77-(8+5+17+12+15+8))
t('NP2 pros T8.3',['MM','Log','Ecole','AJ','MdR','Aut','NR'],42-(6+6+6+6+5))
