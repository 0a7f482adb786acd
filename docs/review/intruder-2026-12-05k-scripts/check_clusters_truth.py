"""TRUTH CHECK ONLY: number of services holding persons for each clustered statistic printed with an interval in the example (census by wave and by public)."""
import pandas as pd
c=pd.read_parquet('/tmp/redteam12/truth/example/clean/census.parquet')
print(c.groupby('wave').service_code.nunique())
print(c.groupby(['wave','public']).service_code.nunique())
