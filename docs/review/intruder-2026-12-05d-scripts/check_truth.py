"""Compare the recovered values with truth/ (run only AFTER the attacks)."""
import pandas as pd, json
T='/tmp/redteam4/truth'
print('== H1 newperiod3 census rows (quality annex D.1) and identical census rows kept (D.4)')
a=pd.read_parquet(f'{T}/newperiod3/clean/accounting.parquet'); print(a.groupby('table')[['raw_rows','clean_rows','rejected_rows']].sum())
q=json.load(open(f'{T}/newperiod3/disclosure/quality.json'))
for c in q['cells']:
    if c['cell'].startswith('census'): print('  audit cell',c['cell'],'value',c['value'],'audit range',c['feasible_min'],c['feasible_max'])
for b in ['newperiod1','newperiod2','newperiod3']:
    e=pd.read_csv(f'{T}/{b}/exact/evolution-services-1.csv')
    print(f'== {b} users per service (before / after)')
    print(e[['service_code','users_before','users_after']].to_string(index=False))
    ev=pd.read_csv(f'{T}/{b}/exact/evolution-1.csv')
    r=ev[(ev.measure=='users')&(ev.key=='total')][['scope','ratio','ratio_low','ratio_high','method','clusters','df']]
    print(r.to_string(index=False))
