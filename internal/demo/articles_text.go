package demo

import "coalition/internal/content"

// demoArticles is the fictional coalition's writing. Every word is written
// for this project; the people and events are invented.
func demoArticles() []demoArticle {
	pub, members := content.StatusPublished, content.Members
	return []demoArticle{
		{
			kind: content.KindArticle, category: "appeals", slug: "a-letter-from-our-coordinator-at-the-end-of-the-year",
			title:   "A letter from our coordinator at the end of the year",
			summary: "Amara Diallo looks back on a hard year for civilians, thanks the people who kept the coalition going, and asks for three things as the new year begins.",
			author:  "Amara Diallo", daysAgo: 3, status: pub, hue: 28,
			coverAlt: "Hills at dusk under a warm orange sky",
			themes:   []string{"Protection of Civilians", "Responsibility to Protect"},
			body: `Dear friends,

I am writing to you from the secretariat in Geneva, in the last days of a year that asked a great deal of everyone who works for the protection of civilians. Some of you spent it answering calls at two in the morning from colleagues under fire. Some of you spent it in meeting rooms, repeating the same facts to the same officials until they could no longer pretend not to have heard them. Some of you gave what you could, month after month, so that the rest of us could keep working. Thank you.

## What this year taught us

It taught us, first, that early warning works only when someone is listening. Twice this year our members raised the alarm weeks before violence spread, with names, places and dates. Once, a regional body acted on it and a town was spared. Once, nobody did. The difference was not the quality of the warning; it was whether enough people insisted.

It taught us, second, that the coalition is strongest when it speaks together. The joint statement our members adopted in the spring was signed by organisations from forty-one countries. It was quoted in the Security Council, in two parliaments and on the front page of a newspaper that had ignored our press releases for years.

And it taught us that protection is never finished. Every gain — a corridor opened, a commander removed, a survivor heard — has to be defended the next day.

## Three things I ask of you

**Stay informed.** Our monthly newsletter brings you the analysis of our members, the crises they are watching and the decisions that are coming. [Subscribe to it](/subscribe) if you have not already, and forward it to one person who should read it.

**Give, if you can.** The secretariat is small and independent. We accept no money from governments that are party to the conflicts we report on, which means we rely on foundations and on people like you. A gift of any size, once or every month, keeps us able to say what needs to be said. You can [donate here](/donate).

**Follow and share.** Our statements reach decision-makers faster when they are shared widely. Follow us through our [news feed](/feed.atom) or on social media, and pass on what matters to you.

## Looking ahead

Next year we will publish our first annual survey of civilian protection, drawn from the reports of every member organisation. We will open a fund for members under threat. And we will keep asking, in every forum that will have us, the question that brought this coalition together: who is protecting the people who cannot protect themselves?

With gratitude and determination,

Amara Diallo
Coordinator, Global Coalition for Civilian Protection`,
		},
		{
			kind: content.KindArticle, category: "newsletters", slug: "newsletter-november",
			title:   "Protection Monitor — November",
			summary: "This month: displacement in the Central Sahel, a new accountability mechanism, a training week for women mediators, and the dates to watch in December.",
			author:  "Tomás Ferreira", daysAgo: 12, status: pub, hue: 205,
			coverAlt:  "Blue hills fading into a pale sky",
			countries: []string{"MLI", "BFA", "NER", "SDN"}, themes: []string{"Women, Peace and Security", "Accountability", "Early Warning"}, crises: []string{"Central Sahel", "Sudan"},
			body: `Welcome to the November issue of the Protection Monitor, the coalition's monthly letter to its members and supporters. As always, we start with the situations our members are most worried about, then turn to what the coalition has been doing, and end with the dates to watch.

## Situations of concern

### Central Sahel

Our members in Mali, Burkina Faso and Niger report that more than two hundred thousand people have left their homes since August, most of them women and children moving towards regional towns that are themselves under blockade. Food prices in those towns have doubled. Member organisations ask for safe passage for traders and humanitarian convoys, and for the protection of the volunteers who keep local health posts open.

### Sudan

Fighting around the cities of the west has resumed after a short lull. Our partners have documented attacks on markets and water points, which are protected objects under international humanitarian law. The coalition has shared its documentation with the relevant United Nations mechanisms.

## What the coalition did

- Briefed the members of two regional organisations on the early warning indicators our members track.
- Submitted evidence to the new independent accountability mechanism, with the consent of the survivors concerned.
- Held a training week for thirty women mediators from eleven countries, led by members who have negotiated local ceasefires themselves.

> "The mediators in the room had more experience of negotiating with armed groups than most diplomats I have met," one of the trainers told us. "What they lack is access to the tables where decisions are made."

## Resources

The secretariat has published a short guide to the protection obligations of peace operations, in English and French. Members can find it in the document library.

## Dates to watch

1. The Security Council's debate on the protection of civilians, early December.
2. The renewal of two peace operation mandates before the end of the year.
3. The annual meeting of our members, in the second half of January.

Thank you for reading. Reply to this letter if you have news from your region that other members should hear.`,
		},
		{
			kind: content.KindArticle, category: "statements", slug: "statement-protection-of-civilians-in-three-crises",
			title:   "Statement on the protection of civilians in Côte d'Ivoire, São Tomé and Україна",
			summary: "Member organisations call on all authorities to uphold their obligations to civilians, from election-related tensions to coastal displacement and the war against Ukraine.",
			author:  "Amara Diallo", daysAgo: 26, status: pub, hue: 350,
			coverAlt:  "Deep red hills under a pink sky",
			countries: []string{"CIV", "STP", "UKR"}, themes: []string{"Protection of Civilians", "Responsibility to Protect"}, crises: []string{"War in Ukraine"},
			body: `The member organisations of the Global Coalition for Civilian Protection adopted the following statement at their regional consultations.

## Côte d'Ivoire

We welcome the commitment of the authorities of Côte d'Ivoire to peaceful elections and urge them to make that commitment real in every district: by ensuring that security forces act with restraint, that journalists and observers can work freely, and that complaints of intimidation are investigated quickly and in public.

## São Tomé and Príncipe

In São Tomé, coastal erosion and storms have displaced families from fishing communities along the eastern shore. Displacement caused by climate is no less a protection concern than displacement caused by conflict. We ask the authorities and their partners to consult the affected communities before any relocation, and to secure their access to livelihoods, schools and health care.

## Україна

Civilians in Україна continue to bear the brunt of attacks on energy infrastructure as winter begins. Deliberate attacks on objects indispensable to the survival of the civilian population are prohibited. We call for those responsible to be held to account and for continued support to the Ukrainian organisations documenting these attacks.

## Our common position

Every state has the responsibility to protect its population from genocide, war crimes, ethnic cleansing and crimes against humanity. When a state fails, the international community must act — early, and by peaceful means first. The situations above are very different; the obligation is the same.

Press enquiries: press@gccp.example.org`,
		},
		{
			kind: content.KindArticle, category: "news", slug: "members-elect-new-steering-committee",
			title:   "Members elect a new steering committee",
			summary: "Seven organisations from five regions will guide the coalition's work for the next two years.",
			author:  "Tomás Ferreira", daysAgo: 45, status: pub, hue: 140,
			coverAlt: "Green rolling hills under a light sky",
			body: `At their annual meeting, held online this year to allow every member to take part, the coalition's member organisations elected a new steering committee.

The committee brings together seven organisations from five regions. For the first time, two of its members are organisations led by survivors of mass atrocities. The committee will oversee the coalition's strategy, approve its statements on urgent situations and appoint the coordinator.

"We have asked the new committee to keep the coalition close to the people it exists to serve," said the outgoing chair. "That means listening to members in the field before speaking on their behalf."

The full list of committee members and the minutes of the meeting are available to members after signing in.`,
		},
		{
			kind: content.KindArticle, category: "blog", slug: "why-early-warning-fails",
			title:   "Why early warning fails — and how to fix it",
			summary: "Warnings of mass violence are rarely missing. What goes missing is the decision to act on them. A reflection from the secretariat.",
			author:  "Tomás Ferreira", daysAgo: 70, status: pub, hue: 260,
			coverAlt: "Violet hills under a lavender sky",
			themes:   []string{"Early Warning", "Responsibility to Protect"},
			body: `Every major atrocity of recent decades was preceded by warnings. Not vague ones: specific reports of lists being drawn up, of weapons being distributed, of hateful broadcasts naming neighbourhoods. The problem has rarely been a lack of information.

## The warning–response gap

Researchers call it the warning–response gap: the distance between knowing and doing. It has three causes that come up again and again in our members' experience.

1. **Warnings go to the wrong people.** A report filed with an office that has no authority to act is a report filed in a drawer.
2. **Nobody owns the decision.** When every agency can act, each assumes another will.
3. **Acting early looks expensive.** The cost of prevention is visible today; the cost of an atrocity that did not happen is never counted.

## What works

Our members have seen warnings turn into action when three conditions were met: the warning reached a named person with the power to act; it came with a concrete, low-cost first step; and someone followed up a week later to ask what had been done.

None of this requires new institutions. It requires persistence — which is, in the end, what a coalition is for.`,
		},
		{
			kind: content.KindArticle, category: "appeals", slug: "emergency-appeal-sahel-displacement",
			title:   "Emergency appeal: support local responders in the Central Sahel",
			summary: "Local organisations are the first and often the only responders for displaced families. Help them keep going through the lean season.",
			author:  "Amara Diallo", daysAgo: 20, status: pub, hue: 45,
			coverAlt:  "Golden hills under a pale yellow sky",
			countries: []string{"MLI", "BFA", "NER"}, crises: []string{"Central Sahel"}, themes: []string{"Protection of Civilians"},
			body: `In the towns of the Central Sahel, the people who meet displaced families first are not international agencies. They are local associations: women's groups, youth clubs, teachers who open their schools at night.

Our members there ask for three things:

- funds for safe transport of the sick and wounded;
- phone credit and solar chargers so that volunteers can report incidents;
- psychological first aid training for the volunteers themselves.

Every contribution to this appeal goes to member organisations in the region, through the coalition's solidarity fund. [Give to the appeal](/donate) and tell others about it.`,
		},
		{
			kind: content.KindArticle, category: "news", slug: "members-briefing-on-mandate-renewals",
			title:   "Members' briefing: what to expect from the mandate renewals",
			summary: "An analysis, for member organisations, of the negotiations on two peace operation mandates and where advocacy can still make a difference.",
			author:  "Tomás Ferreira", daysAgo: 8, status: pub, visibility: members, hue: 180,
			coverAlt: "Teal hills under a misty sky",
			themes:   []string{"Protection of Civilians"},
			body: `This briefing is for member organisations only. Please do not forward it.

## Where the negotiations stand

Two mandates come up for renewal before the end of the year. In both cases, the draft texts keep the protection of civilians as a priority task, but one of them reduces the number of troops by a third without saying how the mission will cover the areas it leaves.

## Where members can make a difference

Members with contacts in capitals of Council members are asked to raise three points: the need for a transition plan before any drawdown, the protection of civilians who have cooperated with the mission, and the continuation of human rights reporting.

The secretariat will hold a call for members on these points next week.`,
		},
		{
			kind: content.KindArticle, category: "statements", slug: "ten-years-of-the-coalition",
			title:   "Ten years of the coalition: what we have learned",
			summary: "On our tenth anniversary, members look back at what has changed for civilians and what has not.",
			author:  "Amara Diallo", daysAgo: 120, status: pub, hue: 95,
			coverAlt: "Olive-green hills under a soft sky",
			themes:   []string{"Responsibility to Protect", "Accountability"},
			body: `Ten years ago, a handful of organisations met in a borrowed room and agreed that they would be more useful together than apart. Today the coalition has members in more than sixty countries.

We have learned that the language of protection has spread: it is in mandates, in national laws and in the training of soldiers. We have also learned that words on paper protect nobody unless someone checks that they are honoured.

On this anniversary, we renew the commitment that brought us together: to speak with, and not only for, the people whose lives are at stake.`,
		},
		{
			kind: content.KindArticle, category: "news", slug: "annual-survey-of-civilian-protection-launch",
			title:   "Launch of the first annual survey of civilian protection",
			summary: "The coalition's first survey, drawn from the reports of every member organisation, will be presented at an online event.",
			author:  "Tomás Ferreira", daysAgo: -3, status: content.StatusScheduled, hue: 220,
			coverAlt: "Blue-grey hills under a clear sky",
			themes:   []string{"Protection of Civilians", "Early Warning"},
			body: `The coalition will present its first annual survey of civilian protection at an online event open to all. The survey gathers the observations of member organisations in every region and compares them with the commitments made by states.

Registration details will follow. Members who contributed to the survey will receive the full data set.`,
		},
		{
			kind: content.KindArticle, category: "blog", slug: "notes-on-protection-and-climate",
			title:   "Notes on protection and climate displacement",
			summary: "A draft reflection on how protection standards apply to people displaced by floods, drought and rising seas.",
			author:  "Tomás Ferreira", status: content.StatusDraft, hue: -1,
			countries: []string{"STP"},
			body: `Draft — not for publication yet.

People displaced by climate events are protected by the same human rights as everyone else, but the institutions that respond to them are often different from those that respond to conflict. This note sets out where the two meet.`,
		},
		{
			kind: content.KindPage, slug: "about", title: "About the coalition",
			summary: "The Global Coalition for Civilian Protection brings together civil society organisations working to protect people from mass atrocities.",
			status:  pub, hue: -1, author: "Tomás Ferreira",
			body: `The Global Coalition for Civilian Protection is a network of civil society organisations that work, each in its own country and region, to protect people from genocide, war crimes, ethnic cleansing and crimes against humanity.

## What we do

- **Warn**: members share what they see, and the secretariat makes sure the right people hear it.
- **Advocate**: we speak together to governments, regional bodies and the United Nations.
- **Support**: we connect members with each other, with training and with emergency help when they are under threat.

## How we are run

Member organisations elect a steering committee every two years. A small secretariat in Geneva coordinates the coalition's work. We accept no funding from governments that are party to the conflicts on which we report.

## Contact

Write to the secretariat at secretariat@gccp.example.org, or see how to [join the coalition](/join).`,
		},
		{
			kind: content.KindPage, slug: "join", title: "Join the coalition",
			summary: "Civil society organisations that share our commitment to the protection of civilians can apply to become members.",
			status:  pub, hue: -1, author: "Tomás Ferreira",
			body: `The coalition is open to non-governmental organisations that work on the protection of civilians, human rights, humanitarian response or peacebuilding, and that share the commitments of our charter.

## What members receive

- Briefings and analysis reserved for members.
- A voice in the coalition's statements and in the election of its steering committee.
- Access to training, to the solidarity fund and to other members in their region.

## What we ask of members

Members take part in the coalition's consultations, share information about situations of concern when it is safe to do so, and pay a yearly contribution set according to their means. No organisation is turned away for lack of funds.

## How to apply

Send a short letter describing your organisation and its work to secretariat@gccp.example.org. The steering committee reviews applications every quarter.`,
		},
	}
}
