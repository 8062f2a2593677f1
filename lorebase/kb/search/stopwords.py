"""Stop words per language: words a reader types around what they look for ("how do I …").

They never decide whether an article is found (lorebase.kb.search.query): a query's other
words do, and a stop word that occurs only adds to the ranking. The lists follow the spirit of
Snowball's (function words, pronouns, auxiliaries, question words), written in lower case as a
reader types them; accents are folded when they are compared.
"""

from __future__ import annotations

_ENGLISH = """
a about above after again against all am an and any are aren as at be because been before
being below between both but by can cannot could couldn did didn do does doesn doing don down
during each few for from further had hadn has hasn have haven having he her here hers herself
him himself his how i if in into is isn it its itself just let ll me more most mustn my myself
no nor not now of off on once only or other ought our ours ourselves out over own re s same
shall shan she should shouldn so some such t than that the their theirs them themselves then
there these they this those through to too under until up ve very was wasn we were weren what
when where which while who whom why will with won would wouldn you your yours yourself
yourselves
"""

_FRENCH = """
a ai aie aient aies ait as au aura aurai auraient aurais aurait auras aurez auriez aurions
aurons auront aux avaient avais avait avec avez aviez avions avons ayant ayez ayons c ce ceci
cela ces cet cette comment d dans de des du elle elles en es est et eu eue eues eurent eus eut
eux fut furent je l la le les leur leurs lui m ma mais me meme mes moi mon n ne nos notre nous
on ont ou par pas peut pour pourquoi qu quand que quel quelle quelles quels qui s sa sans se
sera serai seraient serais serait seras serez seriez serions serons seront ses soi sommes son
sont sur t ta te tes toi ton tu un une vos votre vous y ete etre etait etaient etais ou
"""

_GERMAN = """
aber alle allem allen aller alles als also am an ander andere anderem anderen anderer anderes
auch auf aus bei bin bis bist da damit dann das dass dein deine dem den der des dessen dich
die dies diese diesem diesen dieser dieses dir doch dort du durch ein eine einem einen einer
eines er es etwas euch euer eure fur gegen hab habe haben hat hatte hatten hier hin hinter ich
ihm ihn ihnen ihr ihre im in ist ja jede jedem jeden jeder jedes jetzt kann kein keine konnen
man manche mein meine mich mir mit muss nach nicht nichts noch nun nur ob oder ohne sehr sein
seine sich sie sind so solche soll sondern uber um und uns unser unter viel vom von vor war
waren warum was weil welche wenn werde werden wie wieder will wir wird wo wollen zu zum zur
zwischen
"""

_SPANISH = """
a al algo algunas algunos ante antes como con contra cual cuando cómo de del desde donde
dónde durante e el ella ellas ellos en entre era es esa esas ese eso esos esta estaba estas
este esto estos fue ha han hay la las le les lo los mas me mi mis muy más nada ni no nos
nosotros o os otra otras otro otros para pero poco por porque que qué quien se ser si sin
sobre son su sus también te tiene tu tus un una uno unos y ya yo
"""

_ITALIAN = """
a ad al alla alle allo ai agli che chi ci come con cosa da dal dalla dei del della delle dello
di dove e ed era gli ha hanno ho i il in io la le lo ma mi ne nei nel nella no noi non o per
perche piu quale quando questa questo se si sono su sua sue suo tra tu un una uno voi
"""

_PORTUGUESE = """
a ao aos as com como da das de do dos e ela elas ele eles em era essa esse esta este eu foi
ha isso isto ja mais mas me meu minha na nao nas no nos o onde os ou para pela pelo por porque
qual quando que quem se sem ser seu sua sao tem um uma voce
"""

_DUTCH = """
aan al als bij dan dat de den der deze die dit door een en er had heb hebben het hij hoe hun
ik in is je kan maar me men met mij naar niet nog of om omdat onder ons ook op over te tot
uit van veel voor waar wanneer wat we wel wie wij zal ze zich zij zijn zo
"""

STOP_WORDS: dict[str, frozenset[str]] = {
    language: frozenset(words.split())
    for language, words in {
        "english": _ENGLISH,
        "french": _FRENCH,
        "german": _GERMAN,
        "spanish": _SPANISH,
        "italian": _ITALIAN,
        "portuguese": _PORTUGUESE,
        "dutch": _DUTCH,
    }.items()
}
