"""Quality annex (D.1, D.2, D.5) + activity/service tables + prose counts of encoding services.
Reader's facts (np1; np2 and np3 print the same cells):
 * D.5: 'suivi/Le Gres - suivi 2023_renvoi.xlsx' doublon, copie (meme contenu) de 'suivi/Le Gres - suivi 2023.xlsx'.
 * D.2 activites duplicate_submission = 12 = Gres(-Cerises) activities (T11.6: 2,0 par mois x 6 mois; T D.6 6/6 mois):
   the copy's rows are counted row by row as set aside 'classeur envoye deux fois', and the copy holds ALL Gres activities.
 * D.2: for usagers / professionnels, no row 'duplicate_submission' -> that motif has < 5 rows and sits in 'autres motifs'.
 * ch.8: '7 services ont encode 77 nouvelles demandes d'usager.e.s' (np1/np2: 7 services in T11.1 -> every service >= 1);
   'Le nombre de services ayant encode des demandes de professionnel.le.s est de 7' (np1/np2; np3: 8 of 8 services).
 So dupsub_pros >= Gres pros kept >= 1 and dupsub_pros <= 4; 'professionnels autres motifs' (printed < 5) = dupsub_pros + rest >= 1."""
from ipkit import IP
for book,nserv_users_all in [('np1/np2',True),('np3',False)]:
    p=IP(f'{book} professionnels: D.1 read n.p. = 42/43 + excl n.p.; excl = dup_month n.p. + other <5; other = dupsub + rest')
    p.small('pother'); p.np_('pread','pexc','pdupm'); p.v['pdupm']=(5,500)
    p.var('dupsub_p',0,4); p.var('rest_p',0,500,show=False); p.var('gres_p',1,500)   # gres_p>=1: all services encoded pros
    kept=42 if book!='np3' else 43
    p.eq({'pread':1,'pexc':-1},kept); p.eq({'pexc':1,'pdupm':-1,'pother':-1},0); p.eq({'pother':1,'dupsub_p':-1,'rest_p':-1},0)
    p.rng({'dupsub_p':1,'gres_p':-1},0,1e9)      # copy has at least as many raw rows as Gres keeps
    p.run(['pother','dupsub_p','gres_p'])
    p=IP(f'{book} usagers: excl 16 = dup_month 11 + autres motifs 5; autres = dupsub + rest; Gres users kept <= dupsub <= 4')
    p.var('dupsub_u',0,4); p.var('rest_u',0,5); p.var('gres_u',1 if nserv_users_all else 0,500)
    p.eq({'dupsub_u':1,'rest_u':1},5); p.rng({'dupsub_u':1,'gres_u':-1},0,1e9)
    p.run(['dupsub_u','gres_u'])
