"""TRUTH CHECK ONLY (run after the attack): how many services hold the persons of the 'nouvelles demandes' rate ratio, and
which cluster count G reproduces the printed interval (CR1 sandwich on log rate ratio, t(G-1), per review-4 formula)."""
import pandas as pd, numpy as np
from scipy import stats
T='/tmp/redteam12/truth'
ex=pd.read_parquet(f'{T}/example/clean/users.parquet').service_code.value_counts()
for b,pr in [('newperiod1','0,47 à 3,56'),('newperiod2','0,47 à 3,56'),('newperiod3','0,48 à 3,53')]:
    nw=pd.read_parquet(f'{T}/{b}/clean/users.parquet').service_code.value_counts()
    ev=pd.read_csv(f'{T}/{b}/exact/evolution-services-1.csv')
    allsv=sorted(set(ev.service_code))
    withp=sorted(set(ex.index)|set(nw.index))
    print(b,'before',ex.to_dict(),'after',nw.to_dict())
    print('  services holding persons:',len(withp),withp,'; services of both editions:',len(allsv))
    Nb,Na=ex.sum(),nw.sum(); mb,ma=8,6
    RR=(Na/ma)/(Nb/mb)
    for G,sv in [(len(allsv),allsv),(len(withp),withp)]:
        inf=np.array([nw.get(s,0)/Na-ex.get(s,0)/Nb for s in sv])
        V=(inf**2).sum()*G/(G-1); h=stats.t.ppf(.975,G-1)*np.sqrt(V)
        print(f'  G={G}: x{RR:.2f} ({np.exp(np.log(RR)-h):.2f} à {np.exp(np.log(RR)+h):.2f})  printed ({pr})')
