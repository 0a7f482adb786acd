# dump matplotlib SVG: group ids, text comments, paths (outside <defs>), <use> markers with x/y
import sys, re
from lxml import etree
NS='{http://www.w3.org/2000/svg}'
def walk(el, depth, out):
    tag=el.tag.replace(NS,'') if isinstance(el.tag,str) else 'comment'
    if tag=='defs': return
    if tag=='comment':
        out.append('  '*depth+'#'+el.text.strip()); return
    if tag=='g':
        out.append('  '*depth+'g '+str(el.get('id'))+ (' tf='+el.get('transform') if el.get('transform') and 'scale(0.1' not in el.get('transform') else ''))
    elif tag=='path':
        d=re.sub(r'\s+',' ',el.get('d',''))
        st=el.get('style','')
        out.append('  '*depth+f'path d={d[:400]} style={st[:120]}')
    elif tag=='use':
        out.append('  '*depth+f'use {el.get("{http://www.w3.org/1999/xlink}href")} x={el.get("x")} y={el.get("y")} style={el.get("style","")[:80]}')
    elif tag in ('text','title','desc'):
        out.append('  '*depth+f'{tag}: {"".join(el.itertext())[:200]}')
    elif tag not in ('svg','metadata'):
        out.append('  '*depth+tag+' '+str(dict(el.attrib))[:200])
    if tag=='g' and el.get('id','').startswith('text_'):
        # only keep the comment
        for c in el:
            if not isinstance(c.tag,str): out.append('  '*(depth+1)+'#'+c.text.strip())
        return
    for c in el: walk(c, depth+1, out)
t=etree.parse(sys.argv[1], etree.XMLParser(remove_comments=False, huge_tree=True))
out=[]; walk(t.getroot(),0,out); print('\n'.join(out))
