"""XLSX zip members + docProps + any non-standard parts, across all books; collect distinct metadata values."""
import glob,zipfile,collections,re
members=collections.Counter(); props=collections.Counter(); odd=[]
for f in glob.glob('/tmp/redteam12/books/*/_generated/**/*.xlsx',recursive=True):
    z=zipfile.ZipFile(f)
    for n in z.namelist():
        members[re.sub(r'\d+','N',n)]+=1
    for n in z.namelist():
        if n.startswith('docProps/'):
            t=z.read(n).decode('utf8','ignore')
            for k,v in re.findall(r'<(?:\w+:)?(\w+)[^>/]*>([^<]+)</',t): props[(n,k,v)]+=1
        if n.startswith('xl/worksheets/sheet'):
            t=z.read(n).decode('utf8','ignore')
            if re.search(r'hidden|state="|<dataValidation|<autoFilter|<legacyDrawing|<f>',t): odd.append((f,n,re.findall(r'(hidden[^ ]*|state="\w+"|<dataValidation|<autoFilter|<f>[^<]*)',t)[:5]))
        if n=='xl/workbook.xml':
            t=z.read(n).decode('utf8','ignore')
            if 'definedName' in t or 'state=' in t: odd.append((f,n,'definedName/state'))
    for zi in z.infolist()[:1]: pass
print('MEMBERS');[print(' ',k,v) for k,v in sorted(members.items())]
print('PROPS');[print(' ',k,v) for k,v in sorted(props.items())]
print('ODD',len(odd));[print(' ',o) for o in odd[:30]]
# zip timestamps
ts=collections.Counter()
for f in glob.glob('/tmp/redteam12/books/*/_generated/**/*.xlsx',recursive=True):
    for zi in zipfile.ZipFile(f).infolist(): ts[zi.date_time]+=1
print('ZIP TIMES',ts.most_common(5))
