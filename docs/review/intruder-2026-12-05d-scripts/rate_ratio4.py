"""Reader's hypothesis: Poisson model of the two period totals; sandwich variance with the services as clusters
(a service present in both editions is one cluster), each service's expected count = period total / services present
(or with exposure = months returned), CR0/CR1/CR2-like factor, t with G-1 df (G = services in the union)."""
import numpy as np, itertools
from scipy import stats
RR=(77/6)/(79/8)
AV={'CAC':0,'CDC':0,'CGE':15,'DIA':0,'DUNE':0,'EQU':0,'IFISAM':0,'LBSM':0,'MER':0,'MOB':30,'MST':14,'NCP':0,'NOR':20,'REZ':0,'SMES':0}
def run(book,now,gc_merged,expo='equal',corr='CR1',months_av=None,months_now=None):
    av=dict(AV)
    if gc_merged: av['GRC']=0
    else: av['CER']=0; av['GRE']=0
    Y0=sum(av.values()); Y1=sum(now.values())
    def expct(d,Y,months):
        if expo=='equal': return {s:Y/len(d) for s in d}
        tot=sum(months[s] for s in d); return {s:Y*months[s]/tot for s in d}
    e0=expct(av,Y0,months_av); e1=expct(now,Y1,months_now)
    cl=sorted(set(av)|set(now)); G=len(cl)
    inf=np.array([((now.get(s,0)-e1.get(s,0))/Y1 if s in now else 0)-((av.get(s,0)-e0.get(s,0))/Y0 if s in av else 0) for s in cl])
    V=(inf**2).sum()*(G/(G-1) if corr=='CR1' else 1)
    h=stats.t.ppf(.975,G-1)*np.sqrt(V)
    return np.exp(np.log(RR)-h),np.exp(np.log(RR)+h),G
mav={'CAC':3,'CDC':2,'CGE':7,'DIA':4,'DUNE':8,'EQU':8,'IFISAM':2,'LBSM':7,'MER':3,'MOB':8,'MST':6,'NCP':5,'NOR':7,'REZ':8,'SMES':8,'GRC':8,'CER':8,'GRE':8}
if __name__=='__main__':
    for corr in ['CR0','CR1']:
      for expo in ['equal','months']:
        out=[]
        for d,g in [('GRC',3),]:
            pass
        np1={'DUNE':8,'GRC':3,'PAS':2,'MER':11,'MOB':10,'NOR':34,'SMES':9}
        m1={'DUNE':6,'GRC':6,'PAS':5,'MER':6,'MOB':6,'NOR':6,'SMES':6}
        lo,hi,G=run('np1',np1,True,expo,corr,mav,m1)
        res=[f'np1 true split: {lo:.4f}-{hi:.4f} G={G}']
        for a in range(1,5):
            for perm in set(itertools.permutations((0,a,5-a))):
                np3={'CER':perm[0],'GRE':perm[1],'PAS':perm[2],'DUNE':8,'MER':11,'MOB':10,'NOR':34,'SMES':9}
                m3={'CER':5,'GRE':6,'PAS':6,'DUNE':6,'MER':6,'MOB':6,'NOR':6,'SMES':6}
                lo,hi,G=run('np3',np3,False,expo,corr,mav,m3)
                ok= round(lo,2)==0.48 and round(hi,2)==3.53
                res.append(f'np3 {perm}: {lo:.4f}-{hi:.4f}{" OK" if ok else ""}')
        print(corr,expo); print('   '+'\n   '.join(res))

def run2(now,gc_merged,df_mode='G-1'):
    """CR2 (Bell-McCaffrey adjustment) for the Poisson model of the two totals, services as clusters:
    hat value of a service-period row = 1/G_k, so each residual is scaled by (1-1/G_k)^-1/2."""
    av=dict(AV)
    if gc_merged: av['GRC']=0
    else: av['CER']=0; av['GRE']=0
    Y0=sum(av.values()); Y1=sum(now.values()); G0=len(av); G1=len(now)
    cl=sorted(set(av)|set(now)); G=len(cl)
    inf=[]
    for s in cl:
        a=((now[s]-Y1/G1)/Y1/np.sqrt(1-1/G1)) if s in now else 0
        b=((av[s]-Y0/G0)/Y0/np.sqrt(1-1/G0)) if s in av else 0
        inf.append(a-b)
    V=(np.array(inf)**2).sum(); h=stats.t.ppf(.975,G-1)*np.sqrt(V)
    return np.exp(np.log(RR)-h),np.exp(np.log(RR)+h)
print('CR2 np1 true', run2({'DUNE':8,'GRC':3,'PAS':2,'MER':11,'MOB':10,'NOR':34,'SMES':9},True))
for a in range(1,5):
    for perm in sorted(set(itertools.permutations((0,a,5-a)))):
        lo,hi=run2({'CER':perm[0],'GRE':perm[1],'PAS':perm[2],'DUNE':8,'MER':11,'MOB':10,'NOR':34,'SMES':9},False)
        print('CR2 np3',perm,f'{lo:.4f}-{hi:.4f}', 'OK' if (round(lo,2),round(hi,2))==(0.48,3.53) else '')

def run3(now,gc_merged,m_now,corr='CR2',dfm='G-1'):
    """exposure of a service-period = months with activities returned (Table 11.6 / D.6); CR2 hat = e/E."""
    av=dict(AV); mv=dict(mav)
    if gc_merged: av['GRC']=0
    else: av['CER']=0; av['GRE']=0
    Y0=sum(av.values()); Y1=sum(now.values())
    E0=sum(mv[s] for s in av); E1=sum(m_now[s] for s in now)
    cl=sorted(set(av)|set(now)); G=len(cl)
    inf=[]
    for s in cl:
        a=b=0
        if s in now:
            h=m_now[s]/E1; r=now[s]-Y1*h; a=r/Y1/(np.sqrt(1-h) if corr=='CR2' else 1)
        if s in av:
            h=mv[s]/E0; r=av[s]-Y0*h; b=r/Y0/(np.sqrt(1-h) if corr=='CR2' else 1)
        inf.append(a-b)
    V=(np.array(inf)**2).sum()*(G/(G-1) if corr=='CR1' else 1)
    h=stats.t.ppf(.975,G-1)*np.sqrt(V)
    return np.exp(np.log(RR)-h),np.exp(np.log(RR)+h)
for corr in ['CR0','CR1','CR2']:
    print(corr,'np1 true',['%.4f'%x for x in run3({'DUNE':8,'GRC':3,'PAS':2,'MER':11,'MOB':10,'NOR':34,'SMES':9},True,{'DUNE':6,'GRC':6,'PAS':5,'MER':6,'MOB':6,'NOR':6,'SMES':6},corr)],
          'np3 true',['%.4f'%x for x in run3({'CER':0,'GRE':3,'PAS':2,'DUNE':8,'MER':11,'MOB':10,'NOR':34,'SMES':9},False,{'CER':5,'GRE':6,'PAS':6,'DUNE':6,'MER':6,'MOB':6,'NOR':6,'SMES':6},corr)])
