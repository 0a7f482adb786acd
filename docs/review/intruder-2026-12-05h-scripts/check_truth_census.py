"""TRUTH CHECK ONLY (run after the attack): per-SSM census outcomes and first line, np1/np2."""
import pandas as pd
for b in ['newperiod1','newperiod2']:
    c=pd.read_parquet(f'/tmp/redteam10/truth/{b}/clean/census.parquet')
    print('==',b,c.shape)
    print(pd.crosstab(c['service_code'],c['outcome'],margins=True))
    print(pd.crosstab(c['service_code'],c['requester'].astype(str),margins=True))
    print(pd.crosstab(c['service_code'],c['reorientation_reason'].astype(str),margins=True))
