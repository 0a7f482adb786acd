"""TRUTH CHECK ONLY: rejected rows by table x reason (copy rows excluded?), per book."""
import pandas as pd
for b in ['example','newperiod1','newperiod2','newperiod3']:
    r=pd.read_parquet(f'/tmp/redteam10/truth/{b}/clean/rejected.parquet')
    print('==',b); print(pd.crosstab(r['reason'],r['table']).to_string())
