"""Authoring helper: writes dev.jsonl. Kept so the set can be reviewed and extended in one place."""

import json
from pathlib import Path

D0, D1, D2, D3, D4 = (
    "000_f1d9c9f888274f11",
    "001_8c1d38af6cb48cef",
    "002_d9581511429aa304",
    "003_f06fee19688d891c",
    "004_dd3f690923d793e8",
)
Q = []


def q(type_, question, answers, docs, gold, history=None):
    row = {
        "id": f"dev{len(Q) + 1:03d}",
        "question": question,
        "type": type_,
        "answers": answers,
        "doc_ids": docs,
        "gold_sentences": gold,
    }
    if history:
        row["history"] = history
    Q.append(row)


# single fact
q(
    "single_fact",
    "Where will the intelligent computing center funded by Huawei's autonomous driving investment be built?",
    [["Guizhou"]],
    [D1],
    [
        "- The investment is specifically earmarked for the construction of a massive 'intelligent computing center' in Guizhou, designed to handle the petabyte-scale data ingestion required for end-to-end neural network training in autonomous driving."
    ],
)
q(
    "single_fact",
    "What is Huawei's CUDA alternative called?",
    [["CANN"]],
    [D2],
    ["Huawei also created its own CUDA alternative, CANN, to support AI development within its ecosystem."],
)
q(
    "single_fact",
    "Which Chinese chipmaker did Huawei work with to build advanced chips without TSMC?",
    [["SMIC"]],
    [D2],
    ["However, the company worked with Chinese chipmaker SMIC to prove otherwise."],
)
q(
    "single_fact",
    "What Nvidia technology does Huawei's SuperPoD approach mirror?",
    [["NVLink"]],
    [D4],
    ["This approach mirrors Nvidia’s NVLink, which enables high-speed communication between AI processors."],
)
q(
    "single_fact",
    "At which event did Huawei unveil its new AI infrastructure?",
    [["Huawei Connect"]],
    [D4],
    [
        "At its annual Huawei Connect conference in Shenzhen, the company unveiled new AI infrastructure designed to boost compute power and reduce reliance on foreign chipmakers."
    ],
)
q(
    "single_fact",
    "Which Chinese carmakers is Huawei becoming the Tier-1 supplier for?",
    [["Seres"], ["Chery"], ["JAC"]],
    [D1],
    [
        "- This capital injection is part of a broader strategic pivot to monetize the 'Huawei Inside' business model, moving away from direct vehicle manufacturing to becoming the primary Tier-1 supplier for Chinese OEMs like Seres, Chery, and JAC."
    ],
)
q(
    "single_fact",
    "What kind of chips is Huawei exploring to bridge the gap with U.S. firms?",
    [["compound chips"]],
    [D3],
    [
        "The company is exploring compound chips—chips composed of multiple elements—hoping to bridge the technological gap with U.S. firms."
    ],
)
q(
    "single_fact",
    "What did the U.S. Commerce Department say about using Ascend chips?",
    [["export controls"]],
    [D3],
    ["The Commerce Department recently stated that using Ascend chips would violate export controls."],
)
q(
    "single_fact",
    "Who leads Huawei's oil and mining tech unit?",
    [["Jack Chen"]],
    [D2],
    ["Jack Chen, VP for Huawei’s oil and mining tech unit, said the solution is already scalable."],
)
q(
    "single_fact",
    "Which countries is Huawei targeting with its AI platforms as it goes global?",
    [["Belt and Road"]],
    [D2],
    ["The company is targeting Belt and Road Initiative countries with its AI platforms."],
)
q(
    "single_fact",
    "Who said Huawei is using clusters of smaller chips to reach Nvidia-level performance?",
    [["Towson"]],
    [D2],
    [
        "Jeffrey Towson from TechMoat Consulting explained their approach.",
        "“They’re using clusters of smaller chips to reach Nvidia-level performance,” he said.",
    ],
)
q(
    "single_fact",
    "Which industries does Huawei's Pangu AI support?",
    [["mining"], ["healthcare"], ["finance"], ["manufacturing"]],
    [D2],
    ["These include mining, healthcare, finance, and manufacturing."],
)
q(
    "single_fact",
    "What sensors does Huawei's Qiankun ADS use?",
    [["LiDAR"], ["Radar"]],
    [D1],
    ["| Sensor Suite | LiDAR + Camera + Radar | Camera-only (Vision) | LiDAR + Camera |"],
)
q(
    "single_fact",
    "Which AI accelerators does Huawei use for its autonomous driving training compute?",
    [["910B", "910C"]],
    [D1],
    [
        "- Compute Infrastructure: Utilization of Ascend 910B/910C AI accelerators to support large-scale model training, specifically optimized for Transformer-based architectures."
    ],
)
q(
    "single_fact",
    "What is Paul Triolo's role?",
    [["DGA-Albright Stonebridge"]],
    [D2],
    ["Paul Triolo, SVP for China at DGA-Albright Stonebridge Group, said the company had no choice."],
)

# number or date
q(
    "number",
    "How many graphics cards can the SuperPoD Interconnect link?",
    [["15,000", "15000"]],
    [D4],
    [
        "The centerpiece of the reveal is Huawei’s SuperPoD Interconnect, a system capable of linking up to 15,000 graphics cards."
    ],
)
q(
    "number",
    "In what year did Huawei launch its Ascend 910 chip?",
    [["2019"]],
    [D2],
    [
        "That year, the company launched its Ascend 910 chip, an AI processor meant to rival Nvidia’s offerings."
    ],
)
q(
    "number",
    "How many self-driving mining trucks did Huawei deploy in May 2024?",
    [["100"]],
    [D2],
    ["In May 2024, the company deployed 100 self-driving mining trucks."],
)
q(
    "number",
    "In how many sectors has Pangu been used?",
    [["20"]],
    [D2],
    ["Huawei said Pangu has already been used in over 20 sectors."],
)
q(
    "number",
    "How much revenue did Huawei's ICT infrastructure unit pull in during 2023?",
    [["362 billion"]],
    [D2],
    [
        "In 2023, Huawei’s ICT infrastructure unit—home to AI, 5.5G, and enterprise solutions—became its top revenue source, pulling in 362 billion yuan."
    ],
)
q(
    "number",
    "When was Huawei Cloud launched?",
    [["2017"]],
    [D2],
    ["Huawei Cloud, launched in 2017, powers this growing AI stack."],
)
q(
    "number",
    "How much does Huawei invest in research every year according to Ren Zhengfei?",
    [["180 billion", "25 billion"]],
    [D3],
    [
        "He emphasized that Huawei invests a staggering 180 billion yuan (approximately $25 billion) annually in research."
    ],
)
q("number", "In what year was Huawei founded?", [["1987"]], [D3], ["Founded date: 1987"])
q(
    "number",
    "When did Huawei introduce AI CloudMatrix 384?",
    [["April 2024"]],
    [D2],
    ["In April 2024, Huawei introduced AI CloudMatrix 384, which connects 384 Ascend 910C chips."],
)
q(
    "number",
    "What market share is Huawei predicted to reach in Chinese smart driving software by 2027?",
    [["30%", "30 percent"]],
    [D1],
    ["Huawei's market share in the Chinese smart driving software market will exceed 30% by 2027."],
)
q(
    "number",
    "Over how many years will Huawei spend its smart driving investment?",
    [["five years", "5 years"]],
    [D0, D1],
    [
        "Huawei will invest more than $10 billion over the next five years into smart driving technologies, with a notable allocation for AI training compute.",
        "Huawei to invest US$11.7B over 5 years in AV compute",
    ],
)
q(
    "number",
    "When did Huawei launch ADS 1.0?",
    [["2021"]],
    [D1],
    [
        "2021-04",
        "Huawei officially enters the automotive sector with the launch of the ADS (Autonomous Driving Solution) 1.0.",
    ],
)
q(
    "number",
    "In which year did Huawei open-source the Pangu model?",
    [["2024"]],
    [D2],
    ["In 2024, Huawei open-sourced the Pangu model."],
)

# spread over two documents
q(
    "multi_doc",
    "Which two Huawei systems link many AI chips together, and how many graphics cards can the newer one link?",
    [["CloudMatrix"], ["SuperPoD"], ["15,000", "15000"]],
    [D2, D4],
    [
        "In April 2024, Huawei introduced AI CloudMatrix 384, which connects 384 Ascend 910C chips.",
        "The centerpiece of the reveal is Huawei’s SuperPoD Interconnect, a system capable of linking up to 15,000 graphics cards.",
    ],
)
q(
    "multi_doc",
    "Which Nvidia products do the articles compare Huawei's systems with?",
    [["GB200"], ["NVLink"]],
    [D2, D4],
    [
        "Analysts say this AI system even beats Nvidia’s GB200 NVL72 in some performance areas.",
        "This approach mirrors Nvidia’s NVLink, which enables high-speed communication between AI processors.",
    ],
)
q(
    "multi_doc",
    "How much does Huawei spend on research each year, and how much is it putting into smart driving?",
    [["180 billion", "25 billion"], ["10 billion", "11.7"]],
    [D3, D0],
    [
        "He emphasized that Huawei invests a staggering 180 billion yuan (approximately $25 billion) annually in research.",
        "Huawei will invest more than $10 billion over the next five years into smart driving technologies, with a notable allocation for AI training compute.",
    ],
)
q(
    "multi_doc",
    "Which versions of the Ascend chip are mentioned across the articles?",
    [["910B"], ["910C"]],
    [D2, D1],
    [
        "Huawei followed with improved versions, including the 910B and now the 910C, currently preparing for mass rollout."
    ],
)
q(
    "multi_doc",
    "Where is Huawei based, and where did it hold the conference that revealed SuperPoD?",
    [["Shenzhen"]],
    [D3, D4],
    [
        "Location: China, Guangdong Province, Shenzhen",
        "At its annual Huawei Connect conference in Shenzhen, the company unveiled new AI infrastructure designed to boost compute power and reduce reliance on foreign chipmakers.",
    ],
)
q(
    "multi_doc",
    "Which system connects 384 Ascend 910C chips, and which Nvidia system is it said to outperform?",
    [["CloudMatrix"], ["GB200"]],
    [D2, D3],
    [
        "In April 2024, Huawei introduced AI CloudMatrix 384, which connects 384 Ascend 910C chips.",
        "Analysts suggest that this system can outperform Nvidia's GB200 NVL72 in certain metrics.",
    ],
)

# conflicting sources
q(
    "conflict",
    "How much is Huawei investing in smart driving over the next five years?",
    [["10 billion", "$10B"], ["11.7"]],
    [D0, D1],
    [
        "Huawei will invest more than $10 billion over the next five years into smart driving technologies, with a notable allocation for AI training compute.",
        "Huawei to invest US$11.7B over 5 years in AV compute",
    ],
)
q(
    "conflict",
    "What is the size of Huawei's autonomous driving compute investment?",
    [["10 billion", "$10B"], ["11.7"]],
    [D0, D1],
    [
        "Huawei announced a plan to invest more than $10 billion over the next five years in smart driving technologies, including a specified emphasis on AI training compute.",
        "Huawei to invest US$11.7B over 5 years in AV compute",
    ],
)
q(
    "conflict",
    "How many dollars did Huawei commit to AI training compute for cars?",
    [["10 billion", "$10B"], ["11.7"]],
    [D0, D1],
    [
        "Huawei will invest more than $10 billion over the next five years into smart driving technologies, with a notable allocation for AI training compute.",
        "Huawei to invest US$11.7B over 5 years in AV compute",
    ],
)
q(
    "conflict",
    "Is Huawei a formidable technology company?",
    [["formidable"]],
    [D2, D3],
    [
        "He recently called Huawei “one of the most formidable technology companies in the world.”",
        "He downplays the company's status, suggesting that it is not as formidable as perceived.",
    ],
)

# paraphrase with few shared words
q(
    "paraphrase",
    "What did the firm put to work hauling material at mines without drivers?",
    [["100"], ["truck"]],
    [D2],
    [
        "In May 2024, the company deployed 100 self-driving mining trucks.",
        "These trucks use Pangu AI, 5G, and Huawei Cloud to transport materials autonomously.",
    ],
)
q(
    "paraphrase",
    "Which foundry lost Huawei as a customer after Washington blacklisted it?",
    [["TSMC"]],
    [D2],
    ["That move cut off access to key suppliers, including TSMC."],
)
q(
    "paraphrase",
    "How does the company make up for the weakness of its individual processors?",
    [["cluster"]],
    [D3, D4, D2],
    [
        "Ren argues that this approach can compensate for the limitations of individual chips.",
        "Cluster computing is one such solution.",
    ],
)
q(
    "paraphrase",
    "How big is the yearly R&D budget at Huawei?",
    [["180 billion", "25 billion"]],
    [D3],
    [
        "He emphasized that Huawei invests a staggering 180 billion yuan (approximately $25 billion) annually in research."
    ],
)
q(
    "paraphrase",
    "What lets Huawei's driver-assistance system navigate cities without detailed maps?",
    [["God Eye", "Tianyan", "vision-centric"]],
    [D1],
    [
        "- Huawei is shifting its Qiankun ADS architecture toward a 'God Eye' (Tianyan) vision-centric model, reducing reliance on high-definition maps to achieve 'mapless' navigation capabilities across complex urban environments."
    ],
)
q(
    "paraphrase",
    "Where will the huge data center for training self-driving AI be located?",
    [["Guizhou"]],
    [D1],
    [
        "- The investment is specifically earmarked for the construction of a massive 'intelligent computing center' in Guizhou, designed to handle the petabyte-scale data ingestion required for end-to-end neural network training in autonomous driving."
    ],
)
q(
    "paraphrase",
    "What comparison does the article draw to explain linking many computers together?",
    [["relay", "sprinters"]],
    [D3],
    [
        "It’s a clever workaround, akin to using a team of sprinters to win a relay race, rather than relying on a single runner."
    ],
)
q(
    "paraphrase",
    "What did Nvidia's boss warn could happen to his company's business in China?",
    [["replace"]],
    [D2],
    ["Huang warned that Huawei could replace Nvidia in China if U.S. chip restrictions persist."],
)
q(
    "paraphrase",
    "Which unit became the company's biggest money-maker in 2023?",
    [["ICT infrastructure"]],
    [D2],
    [
        "In 2023, Huawei’s ICT infrastructure unit—home to AI, 5.5G, and enterprise solutions—became its top revenue source, pulling in 362 billion yuan."
    ],
)
q(
    "paraphrase",
    "What engineering skills will be in greater demand because of the automotive spending?",
    [["distributed training", "co-design", "simulation"]],
    [D0],
    [
        "For practitioners, more investment means expanded hardware choices, potential new optimized toolchains, and increased demand for engineering talent in distributed training, hardware-software co-design, and simulation."
    ],
)

# follow-ups that need the previous turn
q(
    "follow_up",
    "How many graphics cards can it link?",
    [["15,000", "15000"]],
    [D4],
    [
        "The centerpiece of the reveal is Huawei’s SuperPoD Interconnect, a system capable of linking up to 15,000 graphics cards."
    ],
    history=[
        {
            "question": "What system did Huawei unveil at Huawei Connect?",
            "answer": "Huawei unveiled the SuperPoD Interconnect.",
        }
    ],
)
q(
    "follow_up",
    "And in how many sectors has it been used?",
    [["20"]],
    [D2],
    ["Huawei said Pangu has already been used in over 20 sectors."],
    history=[
        {
            "question": "What are Huawei's industry AI models called?",
            "answer": "Huawei's industry AI models are called Pangu.",
        }
    ],
)
q(
    "follow_up",
    "How much does he say the company spends on research each year?",
    [["180 billion", "25 billion"]],
    [D3],
    [
        "He emphasized that Huawei invests a staggering 180 billion yuan (approximately $25 billion) annually in research."
    ],
    history=[{"question": "Who is Huawei's CEO?", "answer": "Huawei's CEO is Ren Zhengfei."}],
)
q(
    "follow_up",
    "What is it designed to handle?",
    [["petabyte"]],
    [D1],
    [
        "- The investment is specifically earmarked for the construction of a massive 'intelligent computing center' in Guizhou, designed to handle the petabyte-scale data ingestion required for end-to-end neural network training in autonomous driving."
    ],
    history=[
        {
            "question": "Where will Huawei build its intelligent computing center?",
            "answer": "The intelligent computing center will be built in Guizhou.",
        }
    ],
)
q(
    "follow_up",
    "When was it launched?",
    [["2017"]],
    [D2],
    ["Huawei Cloud, launched in 2017, powers this growing AI stack."],
    history=[
        {
            "question": "Which cloud runs Huawei's AI data centers?",
            "answer": "Huawei Cloud runs the company's AI data centers.",
        }
    ],
)
q(
    "follow_up",
    "Which Nvidia system does it beat in some areas?",
    [["GB200"]],
    [D2, D3],
    ["Analysts say this AI system even beats Nvidia’s GB200 NVL72 in some performance areas."],
    history=[
        {
            "question": "What did Huawei introduce in April 2024?",
            "answer": "Huawei introduced AI CloudMatrix 384.",
        }
    ],
)

# unanswerable but on-topic
for question in [
    "What is the price of a single Ascend 910C chip?",
    "What is the clock speed of the Ascend 910B?",
    "How much power does the SuperPoD Interconnect consume?",
    "When will the Guizhou intelligent computing center be completed?",
    "How many parameters does the Pangu model have?",
    "What was Huawei's net profit in 2024?",
    "How many graphics cards can Nvidia's NVLink connect?",
    "What is the name of the 5G smartphone Huawei launched in 2023?",
    "Which automaker will be the first to ship Huawei's God Eye system?",
    "How much revenue did Huawei Cloud make in 2023?",
    "Who is the CEO of Huawei's automotive unit?",
    "How many engineers work on the CANN software stack?",
]:
    q("unanswerable", question, [], [], [])

# false premise
q(
    "false_premise",
    "Why did Nvidia unveil the SuperPoD Interconnect?",
    [],
    [D4],
    [
        "The centerpiece of the reveal is Huawei’s SuperPoD Interconnect, a system capable of linking up to 15,000 graphics cards."
    ],
)
q(
    "false_premise",
    "Why did Huawei invest $50 billion in smart driving?",
    [],
    [D0, D1],
    [
        "Huawei will invest more than $10 billion over the next five years into smart driving technologies, with a notable allocation for AI training compute.",
        "Huawei to invest US$11.7B over 5 years in AV compute",
    ],
)
q(
    "false_premise",
    "How did TSMC help Huawei build the chips for its 2023 5G smartphone?",
    [],
    [D2],
    ["However, the company worked with Chinese chipmaker SMIC to prove otherwise."],
)
q(
    "false_premise",
    "How many self-driving mining trucks did Tesla deploy with Pangu AI?",
    [],
    [D2],
    ["In May 2024, the company deployed 100 self-driving mining trucks."],
)
q(
    "false_premise",
    "Why did Ren Zhengfei say Huawei's chips are ahead of U.S. technology?",
    [],
    [D3],
    [
        "He acknowledges that Huawei is not yet on par with U.S. technology but insists that the company is making strides."
    ],
)
q(
    "false_premise",
    "Why did Huawei open-source its Ascend 910C chip design in 2024?",
    [],
    [D2],
    ["In 2024, Huawei open-sourced the Pangu model."],
)
q(
    "false_premise",
    "How many graphics cards can Nvidia's SuperPoD link?",
    [],
    [D4],
    [
        "The centerpiece of the reveal is Huawei’s SuperPoD Interconnect, a system capable of linking up to 15,000 graphics cards."
    ],
)

out = Path(__file__).with_name("dev.jsonl")
out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in Q))
print(len(Q), "questions ->", out)
