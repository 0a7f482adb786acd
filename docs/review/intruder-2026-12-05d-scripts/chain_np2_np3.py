"""Final step of findings M1/M2: intersect the rate-ratio result (rate_ratio_joint2.py) with each book's own
Table 8.2 CR2 + Table 11.4 deff partitions (np12_cr2_deff.py, np3_cr2_deff.py)."""
import subprocess,re,ast
out=subprocess.run(['/tmp/rt4py/bin/python','rate_ratio_joint2.py'],capture_output=True,text=True).stdout
np1s=ast.literal_eval(re.search(r'np1 splits possible: (\[.*\])',out).group(1))
np3a=ast.literal_eval(re.search(r'np3 allocations possible \(CC,Gres,Pass\): (\[.*\])',out).group(1))
rr_multisets={tuple(sorted(s)) for s in np1s}
print('rate ratio: np1/np2 multisets of (Dune,GC,Pass):',sorted(rr_multisets))
o=subprocess.run(['/tmp/rt4py/bin/python','np12_cr2_deff.py'],capture_output=True,text=True).stdout
for b in ['np1','np2']:
    parts=ast.literal_eval(re.search(rf'^{b} (\[.*\])',o,re.M).group(1))
    keep=sorted(set(parts)&rr_multisets)
    vals=sorted({v for p in keep for v in p})
    print(f'{b}: Table 8.2/11.4 partitions {parts}\n   ∩ rate ratio -> {keep}; each of Dune, Grès-Cerises, Passerelle in {vals} ({len(vals)} values)')
print('np3: (CC, Gres, Pass) in',np3a,'-> each cell in',sorted({v for a in np3a for v in a}))
