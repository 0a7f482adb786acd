"""Try to reproduce the new-demands rate ratio CI of Table 11.4 (x1,30 (0,47 a 3,56) np1/np2; (0,48 a 3,53) np3)
from per-service counts: avant (example, from the CR2 inversion F3 of review 3: Mobiwest 30, Norois 20, CGE 15, MST 14)."""
import numpy as np, itertools
from scipy import stats
avant_services=['CHA','CHC','CC','CGE','DIC','DUN','EQU','GRE','IFI','LIG','MER','MOB','MST','PRI','NOR','REZ','SME']
avant={'MOB':30,'NOR':20,'CGE':15,'MST':14}
months_av={'CHA':3,'CHC':2,'CC':8,'CGE':7,'DIC':4,'DUN':8,'EQU':8,'GRE':8,'IFI':2,'LIG':7,'MER':3,'MOB':8,'MST':6,'PRI':5,'NOR':7,'REZ':8,'SME':8}
def build(book,split):
    # returns list of (cluster, period, y, months_period, months_active)
    rows=[]
    merged = book in ('np1','np2')
    for s in avant_services:
        c = 'GC' if (merged and s in ('CC','GRE')) else s
        rows.append((c,0,avant.get(s,0),8,months_av[s]))
    if merged:
        now={'DUN':split[0],'GC':split[1],'PAS':split[2],'MER':11,'MOB':10,'NOR':34,'SME':9}
        mact={'DUN':6,'GC':6,'PAS':5 if book=='np1' else 6,'MER':6,'MOB':6,'NOR':6,'SME':6}
    else:
        now={'CC':split[0],'GRE':split[1],'PAS':split[2],'DUN':8,'MER':11,'MOB':10,'NOR':34,'SME':9}
        mact={'CC':5,'GRE':6,'PAS':6,'DUN':6,'MER':6,'MOB':6,'NOR':6,'SME':6}
    for s,y in now.items(): rows.append((s,1,y,6,mact[s]))
    # merge GC avant rows
    return rows
def ci(rows,var='CR1',crit='z',expo='period',drop_zero_clusters=False,merge_clusters=True):
    rows=[r for r in rows]
    # aggregate by cluster & period
    from collections import defaultdict
    agg=defaultdict(lambda:[0,0])
    for c,p,y,mp,ma in rows:
        e = mp if expo=='period' else ma
        key=(c,p)
        if key in agg and expo=='period': agg[key][0]+=y; agg[key][1]=e  # merged services share period exposure
        else: agg[key][0]+=y; agg[key][1]+=e
    keys=list(agg)
    Y0=sum(agg[k][0] for k in keys if k[1]==0); Y1=sum(agg[k][0] for k in keys if k[1]==1)
    E0=sum(agg[k][1] for k in keys if k[1]==0); E1=sum(agg[k][1] for k in keys if k[1]==1)
    l0,l1=Y0/E0,Y1/E1
    rr=l1/l0
    clusters=sorted(set(k[0] for k in keys))
    if drop_zero_clusters: clusters=[c for c in clusters if agg.get((c,0),[0])[0]+agg.get((c,1),[0])[0]>0]
    if not merge_clusters:
        clusters=keys
        inf=[(agg[k][0]-(l0 if k[1]==0 else l1)*agg[k][1])*((-1/Y0) if k[1]==0 else (1/Y1)) for k in keys]
    else:
        inf=[]
        for c in clusters:
            r0=(agg[(c,0)][0]-l0*agg[(c,0)][1]) if (c,0) in agg else 0
            r1=(agg[(c,1)][0]-l1*agg[(c,1)][1]) if (c,1) in agg else 0
            inf.append(r1/Y1-r0/Y0)
    inf=np.array(inf); G=len(inf)
    v=(inf**2).sum()
    if var=='CR1': v*=G/(G-1)
    q={'z':1.959964,'tG1':stats.t.ppf(.975,G-1),'tG2':stats.t.ppf(.975,G-2)}[crit]
    se=np.sqrt(v)
    return rr,np.exp(np.log(rr)-q*se),np.exp(np.log(rr)+q*se),G
if __name__=='__main__':
    target={'np1':(0.47,3.56),'np3':(0.48,3.53)}
    for var in ['CR0','CR1']:
      for crit in ['z','tG1','tG2']:
        for expo in ['period','active']:
          for dz in [False,True]:
            for mc in [True,False]:
              out=[]
              for book,split in [('np1',(8,3,2)),('np3',(0,1,4)),('np3',(0,4,1)),('np3',(1,0,4)),('np3',(4,0,1)),('np3',(1,4,0)),('np3',(4,1,0)),('np3',(0,2,3)),('np3',(2,3,0)),('np3',(2,0,3))]:
                rr,lo,hi,G=ci(build(book,split),var,crit,expo,dz,mc)
                out.append(f'{book}{split}:{lo:.3f}-{hi:.3f}')
              print(var,crit,expo,'dropzero' if dz else '', 'merged' if mc else 'sep', ' '.join(out[:3]))
