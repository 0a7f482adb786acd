# TRUTH CHECK ONLY (run after the attack): per-service users, and rejected rows by table/reason/service
import pandas as pd
for b in ['example','newperiod1','newperiod2','newperiod3']:
    T=f'/tmp/redteam9/truth/{b}/clean'
    u=pd.read_parquet(f'{T}/users.parquet'); r=pd.read_parquet(f'{T}/rejected.parquet')
    print('=====',b); print(u.service_code.value_counts().to_dict())
    print(r.groupby(['table','reason']).size().to_string())
    d=r[r.reason=='duplicate_submission']
    print('dup_submission by table/service/file:'); print(d.groupby(['table','service_code','source_file'],dropna=False).size().to_string())
