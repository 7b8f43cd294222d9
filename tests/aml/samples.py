"""Small list files in each published format (shapes as the publishers write them)."""

from __future__ import annotations

import json

FTM_JSON_LINES = "\n".join(json.dumps(obj, ensure_ascii=False) for obj in [
    {
        "id": "NK-ddEHNvaY7JrVJoB6M2gdBb",
        "caption": "Muammar Gaddafi",
        "schema": "Person",
        "properties": {
            "name": ["Muammar Mohammed Abu Minyar Qadhafi", "Muammar Gaddafi"],
            "alias": ["Муаммар Каддафи", "معمر القذافي"],
            "weakAlias": ["Abu Minyar"],
            "birthDate": ["1942-06-07", "1942"],
            "nationality": ["ly"],
            "country": ["ly", "suhh"],
            "topics": ["sanction", "role.pep"],
            "sourceUrl": ["https://scsanctions.un.org/"],
            "sanctions": [{
                "id": "NK-sanction-1",
                "schema": "Sanction",
                "properties": {
                    "program": ["Libya"],
                    "programId": ["UN-SCLYR"],
                    "listingDate": ["2011-02-26"],
                    "authority": ["UN Security Council"],
                },
            }],
        },
        "referents": ["un-sc-LYi.009"],
        "datasets": ["un_sc_sanctions"],
        "first_seen": "2021-09-26T16:33:34",
        "last_seen": "2024-03-05T06:10:02",
        "last_change": "2023-12-01T00:00:00",
        "target": True,
    },
    {"id": "addr-0f5a", "caption": "Sirte", "schema": "Address",
     "properties": {"full": ["Sirte, Libya"], "country": ["ly"]}, "target": False},
    {"id": "NK-relative", "caption": "Hana Gaddafi", "schema": "Person",
     "properties": {"name": ["Hana Gaddafi"]}, "target": False},
    {"id": "NK-kmdtc", "caption": "Korea Mining Development Trading Corporation", "schema": "Company",
     "properties": {"name": ["Korea Mining Development Trading Corporation"],
                    "alias": ["Changgwang Sinyong Corporation"], "country": ["kp"],
                    "topics": ["sanction"]},
     "first_seen": "2018-01-01T00:00:00", "target": True},
    {"id": "Q7747", "caption": "Vladimir Putin", "schema": "Person",
     "properties": {"firstName": ["Vladimir"], "middleName": ["Vladimirovich"], "lastName": ["Putin"],
                    "birthDate": ["1952-10-07"], "citizenship": ["ru"], "topics": ["role.pep"]},
     "target": True},
]) + "\n"

OPENSANCTIONS_CSV = (
    "id,schema,name,aliases,birth_date,countries,addresses,identifiers,sanctions,phones,emails,"
    "program_ids,dataset,first_seen,last_seen,last_change\n"
    'NK-ddEHNvaY7JrVJoB6M2gdBb,Person,Muammar Gaddafi,"Muammar al-Qaddafi;Муаммар Каддафи;'
    'معمر القذافي",1942-06-07;1942,ly,"Sirte, Libya",,"UN SC - Libya, Asset freeze",,,'
    'UN-SCLYR;EU-LBY,"UN Security Council Sanctions;EU Financial Sanctions Files (FSF)",'
    "2021-09-26T16:33:34,2024-03-05T06:10:02,2023-12-01T00:00:00\n"
    'NK-kmdtc,Company,Korea Mining Development Trading Corporation,"Changgwang Sinyong Corporation",'
    ",kp,Pyongyang,,,,,UN-SC1718,UN Security Council Sanctions,2018-01-01T00:00:00,"
    "2024-03-05T06:10:02,2018-01-01T00:00:00\n"
    'NK-vessel,Vessel,ARTEMIS,,,ir,,"IMO 9123456",,,,,US OFAC,2020-01-01T00:00:00,,\n'
)

UN_XML = """<?xml version="1.0" encoding="UTF-8"?>
<CONSOLIDATED_LIST xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:noNamespaceSchemaLocation="https://scsanctions.un.org/resources/xsd/sc-sanctions.xsd" dateGenerated="2024-03-05T10:00:05.123Z">
<INDIVIDUALS>
<INDIVIDUAL>
<DATAID>110361</DATAID>
<VERSIONNUM>1</VERSIONNUM>
<FIRST_NAME>MUAMMAR</FIRST_NAME>
<SECOND_NAME>MOHAMMED</SECOND_NAME>
<THIRD_NAME>ABU MINYAR</THIRD_NAME>
<FOURTH_NAME>QADHAFI</FOURTH_NAME>
<UN_LIST_TYPE>Libya</UN_LIST_TYPE>
<REFERENCE_NUMBER>LYi.009</REFERENCE_NUMBER>
<LISTED_ON>2011-02-26</LISTED_ON>
<NAME_ORIGINAL_SCRIPT>معمر محمد أبو منيار القذافي</NAME_ORIGINAL_SCRIPT>
<COMMENTS1>Responsibility for ordering repression of demonstrations.</COMMENTS1>
<TITLE><VALUE>Colonel</VALUE></TITLE>
<NATIONALITY><VALUE>Libyan Arab Jamahiriya</VALUE></NATIONALITY>
<LIST_TYPE><VALUE>UN List</VALUE></LIST_TYPE>
<LAST_DAY_UPDATED><VALUE/></LAST_DAY_UPDATED>
<INDIVIDUAL_ALIAS><QUALITY>Good</QUALITY><ALIAS_NAME>Muammar Gaddafi</ALIAS_NAME></INDIVIDUAL_ALIAS>
<INDIVIDUAL_ALIAS><QUALITY>Low</QUALITY><ALIAS_NAME>Abu Minyar</ALIAS_NAME></INDIVIDUAL_ALIAS>
<INDIVIDUAL_ADDRESS><COUNTRY/></INDIVIDUAL_ADDRESS>
<INDIVIDUAL_DATE_OF_BIRTH><TYPE_OF_DATE>EXACT</TYPE_OF_DATE><YEAR>1942</YEAR></INDIVIDUAL_DATE_OF_BIRTH>
<INDIVIDUAL_PLACE_OF_BIRTH><CITY>Sirte</CITY><COUNTRY>Libya</COUNTRY></INDIVIDUAL_PLACE_OF_BIRTH>
<INDIVIDUAL_DOCUMENT/>
<SORT_KEY/>
<SORT_KEY_LAST_MOD/>
</INDIVIDUAL>
<INDIVIDUAL>
<DATAID>6908037</DATAID>
<VERSIONNUM>2</VERSIONNUM>
<FIRST_NAME>AHMAD</FIRST_NAME>
<SECOND_NAME>VAHIDI</SECOND_NAME>
<UN_LIST_TYPE>Iran</UN_LIST_TYPE>
<REFERENCE_NUMBER>IRi.039</REFERENCE_NUMBER>
<LISTED_ON>2008-03-03</LISTED_ON>
<NATIONALITY><VALUE>Iran (Islamic Republic of)</VALUE></NATIONALITY>
<INDIVIDUAL_ALIAS><QUALITY>a.k.a.</QUALITY><ALIAS_NAME>Ahmad Vahid Dastjerdi</ALIAS_NAME></INDIVIDUAL_ALIAS>
<INDIVIDUAL_DATE_OF_BIRTH><TYPE_OF_DATE>BETWEEN</TYPE_OF_DATE><FROM_YEAR>1958</FROM_YEAR><TO_YEAR>1959</TO_YEAR></INDIVIDUAL_DATE_OF_BIRTH>
<INDIVIDUAL_DATE_OF_BIRTH><TYPE_OF_DATE>EXACT</TYPE_OF_DATE><DATE>1958-07-27</DATE></INDIVIDUAL_DATE_OF_BIRTH>
</INDIVIDUAL>
</INDIVIDUALS>
<ENTITIES>
<ENTITY>
<DATAID>110123</DATAID>
<VERSIONNUM>1</VERSIONNUM>
<FIRST_NAME>KOREA MINING DEVELOPMENT TRADING CORPORATION</FIRST_NAME>
<UN_LIST_TYPE>DPRK</UN_LIST_TYPE>
<REFERENCE_NUMBER>KPe.001</REFERENCE_NUMBER>
<LISTED_ON>2009-04-24</LISTED_ON>
<ENTITY_ALIAS><QUALITY>a.k.a.</QUALITY><ALIAS_NAME>CHANGGWANG SINYONG CORPORATION</ALIAS_NAME></ENTITY_ALIAS>
<ENTITY_ADDRESS><CITY>Pyongyang</CITY><COUNTRY>Democratic People's Republic of Korea</COUNTRY></ENTITY_ADDRESS>
</ENTITY>
</ENTITIES>
</CONSOLIDATED_LIST>
"""

EU_XML = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<export xmlns="http://eu.europa.ec/fpi/fsd/export" generationDate="2024-03-04T17:18:30.231+01:00" globalFileId="171523">
<sanctionEntity designationDetails="" unitedNationId="LYi.009" euReferenceNumber="EU.27.28" logicalId="13">
<remark>Responsibility for ordering repression of demonstrations.</remark>
<regulation regulationType="amendment" organisationType="council" publicationDate="2011-03-02" entryIntoForceDate="2011-03-02" numberTitle="204/2011 (OJ L58)" programme="LBY" logicalId="2070">
<publicationUrl>http://eur-lex.europa.eu/LexUriServ/LexUriServ.do?uri=OJ:L:2011:058:0001:0013:EN:PDF</publicationUrl>
</regulation>
<subjectType code="person" classificationCode="P"/>
<nameAlias firstName="Muammar" middleName="Mohammed Abu Minyar" lastName="Qadhafi" wholeName="Muammar Mohammed Abu Minyar QADHAFI" function="Leader of the Revolution" gender="M" title="Colonel" nameLanguage="" strong="true" regulationLanguage="en" logicalId="17">
<regulationSummary regulationType="amendment" publicationDate="2011-03-02" numberTitle="204/2011 (OJ L58)" publicationUrl="http://eur-lex.europa.eu/"/>
</nameAlias>
<nameAlias firstName="" middleName="" lastName="" wholeName="Муаммар Каддафи" function="" gender="M" title="" nameLanguage="RU" strong="true" regulationLanguage="en" logicalId="18"/>
<citizenship region="" countryIso2Code="LY" countryDescription="LIBYA" regulationLanguage="en" logicalId="19"/>
<birthdate circa="false" calendarType="GREGORIAN" city="Sirte" zipCode="" birthdate="1942-06-07" dayOfMonth="7" monthOfYear="6" year="1942" region="" place="" countryIso2Code="LY" countryDescription="LIBYA" regulationLanguage="en" logicalId="20"/>
</sanctionEntity>
<sanctionEntity designationDetails="" unitedNationId="" euReferenceNumber="EU.7201.41" logicalId="130012" designationDate="2022-02-23">
<regulation regulationType="amendment" organisationType="council" publicationDate="2022-02-23" entryIntoForceDate="2022-02-23" numberTitle="2022/261 (OJ L42I)" programme="UKR" logicalId="130011"/>
<subjectType code="person" classificationCode="P"/>
<nameAlias firstName="Sergei" middleName="Kuzhugetovich" lastName="Shoigu" wholeName="Sergei Kuzhugetovich SHOIGU" gender="M" strong="true" regulationLanguage="en" logicalId="130013"/>
<nameAlias wholeName="Сергей Кужугетович Шойгу" nameLanguage="RU" strong="true" regulationLanguage="en" logicalId="130014"/>
<citizenship region="" countryIso2Code="RU" countryDescription="RUSSIAN FEDERATION" regulationLanguage="en" logicalId="130015"/>
<citizenship region="" countryIso2Code="00" countryDescription="UNKNOWN" regulationLanguage="en" logicalId="130016"/>
<birthdate circa="false" calendarType="GREGORIAN" city="Chadan" birthdate="" dayOfMonth="" monthOfYear="" year="1955" countryIso2Code="RU" regulationLanguage="en" logicalId="130017"/>
</sanctionEntity>
<sanctionEntity designationDetails="" unitedNationId="" euReferenceNumber="EU.2717.40" logicalId="4242">
<regulation regulationType="regulation" publicationDate="2014-07-31" programme="UKR" logicalId="4243"/>
<subjectType code="enterprise" classificationCode="E"/>
<nameAlias wholeName="Almaz-Antey Air and Space Defence Corporation" strong="true" logicalId="4244"/>
<address countryIso2Code="RU" countryDescription="RUSSIAN FEDERATION" city="Moscow" logicalId="4245"/>
</sanctionEntity>
</export>
"""

OFAC_SDN_CSV = (
    '306,"BANCO NACIONAL DE CUBA","-0- ","CUBA","-0- ","-0- ","-0- ","-0- ","-0- ","-0- ","-0- ",'
    '"a.k.a. \'BNC\'."\r\n'
    '2675,"QADHAFI, Muammar","individual","LIBYA2","Colonel","-0- ","-0- ","-0- ","-0- ","-0- ",'
    '"-0- ","DOB 07 Jun 1942; alt. DOB 1943; POB Sirte, Libya; nationality Libya."\r\n'
    '7592,"VAHIDI, Ahmad","individual","NPWMD] [IFSR","-0- ","-0- ","-0- ","-0- ","-0- ","-0- ",'
    '"-0- ","DOB 1958 to 1959; citizen Iran; Additional Sanctions Information - Subject to '
    'Secondary Sanctions."\r\n'
    '15036,"ARTEMIS","vessel","IRAN","-0- ","-0- ","Crude Oil Tanker","-0- ","-0- ","Iran","-0- ",'
    '"IMO 9123456."\r\n'
    "\x1a\r\n"
)

OFAC_ALT_CSV = (
    '2675,3001,"aka","GADDAFI, Muammar","-0- "\r\n'
    '2675,3002,"aka","AL-QADHAFI, Muammar Muhammad Abu Minyar","-0- "\r\n'
    '306,3003,"aka","NATIONAL BANK OF CUBA","-0- "\r\n'
    "\x1a\r\n"
)
