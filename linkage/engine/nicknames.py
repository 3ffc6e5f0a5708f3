"""Given names and the short forms people go by (Bill for William).

Each line is one group: the formal name first, then the names used for it. A name may
sit in two groups (ALEX is short for Alexander and Alexandra): two names are nicknames
of each other when they share a group. Names are in the engine's normal form
(upper-case A-Z, nothing else).
"""

from __future__ import annotations

_GROUPS = """
WILLIAM BILL BILLY WILL WILLIE WILLY LIAM
ROBERT BOB BOBBY ROB ROBBIE BERT
RICHARD RICK RICKY DICK RICH RICHIE
JAMES JIM JIMMY JAMIE JIMMIE
JOHN JACK JOHNNY JON JOHNNIE
JONATHAN JON JONNY NATHAN
MICHAEL MIKE MICKEY MIKEY MICK
JOSEPH JOE JOEY JOSE
THOMAS TOM TOMMY
CHRISTOPHER CHRIS KIT TOPHER
CHRISTINE CHRIS CHRISSY TINA
CHRISTINA CHRIS TINA CHRISSY
DANIEL DAN DANNY
DAVID DAVE DAVEY
MATTHEW MATT MATTY
ANTHONY TONY
ANTONIO TONY
EDWARD ED EDDIE TED NED
ALEXANDER ALEX AL SASHA XANDER
ALEXANDRA ALEX ALEXA LEXI SASHA SANDRA
ANDREW ANDY DREW
NICHOLAS NICK NICKY COLE
BENJAMIN BEN BENNY BENJI
SAMUEL SAM SAMMY
SAMANTHA SAM SAMMY
STEPHEN STEVE STEVIE
STEVEN STEVE STEVIE
CHARLES CHARLIE CHUCK CHAS
GEORGE GEORGIE
HENRY HANK HARRY
HAROLD HARRY HAL
PETER PETE
PATRICK PAT PADDY
PATRICIA PAT PATTY TRISH TRICIA
TIMOTHY TIM TIMMY
KENNETH KEN KENNY
RONALD RON RONNIE
DONALD DON DONNIE
GERALD GERRY JERRY
GREGORY GREG
JEFFREY JEFF
JOSHUA JOSH
ZACHARY ZACH ZACK
NATHANIEL NATE NATHAN NAT
JENNIFER JEN JENNY JENN
ELIZABETH LIZ LIZZIE BETH BETTY ELIZA BESS LISA
MARGARET MAGGIE PEGGY MEG MARGE GRETA
KATHERINE KATE KATIE KATHY KAT KATHERYN
CATHERINE CATHY CATE KATE KATIE CAT
KATHLEEN KATHY KATE
SUSAN SUE SUZY SUSIE
DEBORAH DEB DEBBIE
REBECCA BECKY BECCA
VICTORIA VICKY TORI VICKI
JESSICA JESS JESSIE
ABIGAIL ABBY ABBIE
OLIVIA LIV LIVVY
EMILY EM EMMY
EMMA EM
ISABELLA BELLA IZZY ISABEL
ISABELLE BELLE IZZY
SOPHIA SOPHIE
AMANDA MANDY
BARBARA BARB BARBIE
DOROTHY DOT DOTTIE
JACQUELINE JACKIE
JUDITH JUDY
KIMBERLY KIM
LINDA LINDY
MARY MOLLY POLLY MAE
NANCY NAN
PAMELA PAM
ROSEMARY ROSE ROSIE
SANDRA SANDY
THERESA TERESA TERRI TESS
VALERIE VAL
ALEXIS LEXI ALEX
ANNA ANNIE ANN
ANNE ANNIE ANN
CAROLINE CAROL CARRIE
DANIELLE DANI ELLIE
GABRIELLE GABBY ELLIE
GABRIEL GABE
HARPREET HARRY
HARJIT HARRY
GURPREET GURI
MANPREET MANNY
MANUEL MANNY
RAJINDER RAJ
RAJESH RAJ
SURINDER SUNNY
SUKHWINDER SUKH SUKHI
LAWRENCE LARRY
LEONARD LEO LENNY
DOUGLAS DOUG
FREDERICK FRED FREDDIE
FRANCIS FRANK FRANNIE
FRANKLIN FRANK
RAYMOND RAY
PHILIP PHIL
MAXIMILIAN MAX
MAXWELL MAX
OLIVER OLLIE
SEBASTIAN SEB SEBBY
THEODORE THEO TED TEDDY
VINCENT VINCE VINNY
WEI WAYNE
""".strip()


def _build() -> dict[str, tuple[int, ...]]:
    groups: dict[str, list[int]] = {}
    for number, line in enumerate(_GROUPS.splitlines()):
        for name in line.split():
            groups.setdefault(name, [])
            if number not in groups[name]:
                groups[name].append(number)
    return {name: tuple(numbers) for name, numbers in groups.items()}


GROUPS: dict[str, tuple[int, ...]] = _build()


def group_keys(name: str) -> tuple[int, int]:
    """The (at most two) groups a normalised name belongs to; -1 for none. Two names
    are nicknames of each other when a key of one equals a key of the other."""
    numbers = GROUPS.get(name, ())
    first = numbers[0] if numbers else -1
    second = numbers[1] if len(numbers) > 1 else first
    return first, second


def are_nicknames(a: str, b: str) -> bool:
    return a != b and bool(set(GROUPS.get(a, ())) & set(GROUPS.get(b, ())))


def formal_forms(name: str) -> list[str]:
    """The other names of the groups `name` is in (for the generator's noise)."""
    out = []
    for line in _GROUPS.splitlines():
        names = line.split()
        if name in names:
            out.extend(n for n in names if n != name and n not in out)
    return out
