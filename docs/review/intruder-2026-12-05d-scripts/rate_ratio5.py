"""Reader's hypothesis H*: Poisson GLM y ~ period with offset log(months), one row per service x period for EVERY service
of either edition (a service absent from an edition counts 0 there), so both periods have the same number of rows
and the point estimate is (Y1/6)/(Y0/8) = 1.30 as printed; sandwich variance clustered by service, small-sample
factor c, t quantile with G-1 df (G = services of either edition: 17 in np1/np2, 18 in np3)."""
import numpy as np, itertools
from scipy import stats
RR=(77/6)/(79/8)
AV_SERV_MERGED=['CAC','CDC','CGE','DIA','DUNE','EQU','GRC','IFISAM','LBSM','MER','MOB','MST','NCP','NOR','REZ','SMES']
AV_SERV_SPLIT=['CAC','CDC','CER','CGE','DIA','DUNE','EQU','GRE','IFISAM','LBSM','MER','MOB','MST','NCP','NOR','REZ','SMES']
def ci(avant,now,corr):
    cl=sorted(set(avant)|set(now)); G=len(cl)
    Y0=sum(avant.values()); Y1=sum(now.values())
    inf=np.array([(now.get(s,0)-Y1/G)/Y1-(avant.get(s,0)-Y0/G)/Y0 for s in cl])
    V=(inf**2).sum()
    N=2*G; K=2
    fac={'CR0':1,'CR1':G/(G-1),'stata':G/(G-1)*(N-1)/(N-K)}[corr]
    h=stats.t.ppf(.975,G-1)*np.sqrt(V*fac)
    return np.exp(np.log(RR)-h),np.exp(np.log(RR)+h),G
def avant_sizes(merged,sizes):
    # sizes: dict service->count for the 4 encoding services (unknown to the reader: see below)
    serv=AV_SERV_MERGED if merged else AV_SERV_SPLIT
    return {s:sizes.get(s,0) for s in serv}
if __name__=='__main__':
    import sys
    # avant allocation: the reader knows 4 services encoded 79; services of both editions had 50.
    # Hypothesis A (from review 3, F3, and the old printed Mobiwest 30): MOB 30, NOR 20, CGE 15, MST 14.
    sizesA={'MOB':30,'NOR':20,'CGE':15,'MST':14}
    for corr in ['CR0','CR1','stata']:
        print('==',corr)
        # np1/np2: Dune, GC, Pass >=1, sum 13
        hits=[]
        for d,g,p in itertools.product(range(1,12),repeat=3):
            if d+g+p!=13: continue
            lo,hi,G=ci(avant_sizes(True,sizesA),{'DUNE':d,'GRC':g,'PAS':p,'MER':11,'MOB':10,'NOR':34,'SMES':9},corr)
            if (round(lo,2),round(hi,2))==(0.47,3.56): hits.append((d,g,p))
        print('  np1 splits (Dune,GC,Pass) matching 0,47-3,56:',hits)
        hits=[]
        for perm in sorted(set(itertools.permutations((0,1,4)))|set(itertools.permutations((0,2,3)))):
            c,r,p=perm
            lo,hi,G=ci(avant_sizes(False,sizesA),{'CER':c,'GRE':r,'PAS':p,'DUNE':8,'MER':11,'MOB':10,'NOR':34,'SMES':9},corr)
            tag='  <== matches 0,48-3,53' if (round(lo,2),round(hi,2))==(0.48,3.53) else ''
            print(f'  np3 CC={c} Gres={r} Pass={p}: {lo:.4f}-{hi:.4f}{tag}')
