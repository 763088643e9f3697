"""The HUD HMIS CSV (FY2026) as data: the files caseflow writes, their columns in order, which
columns are dates, date-times, ids and coded values, and the allowed codes.

Source: the project's standards reference (§5 HUD HMIS CSV), which lists the client files'
columns and the FY2026 changes (Client.csv without the 3.06 gender columns, with 4.21 ``Sex``;
the Hispanic/Latina/o column relabelled ``HispanicLatinao``, marked [verify] there and kept as it
says). It names the descriptor files (Organization, Project, Funder, ProjectCoC, Inventory, User)
without their columns: those below are the FY2024 specification's, from memory of it [verify],
as are the code lists. Program-specific columns (PATH, RHY, SSVF, HOPWA; FY2026's V10
MentalHealthConsultation is SSVF's) are left out: caseflow runs none of those programs.

Every data file ends with :data:`METADATA`; ``Export.csv`` does not (it is the export's own
record), and ``User.csv`` has ``UserID`` as its key, so its trailer leaves that column out.
"""

from __future__ import annotations

from collections.abc import Mapping

CSV_VERSION = "2026"  # the FY2026 layout; the spec's own CSVVersion string is "2026 v1.0" [verify]

METADATA = ("DateCreated", "DateUpdated", "UserID", "DateDeleted", "ExportID")

EXPORT = (
    "ExportID",
    "SourceType",
    "SourceID",
    "ExportDate",
    "ExportStartDate",
    "ExportEndDate",
    "SoftwareName",
    "CSVVersion",
    "ExportPeriodType",
    "ExportDirective",
    "HashStatus",
    "ImplementationID",
)
ORGANIZATION = ("OrganizationID", "OrganizationName", "VictimServiceProvider", "OrganizationCommonName", *METADATA)
PROJECT = (
    "ProjectID",
    "OrganizationID",
    "ProjectName",
    "ProjectCommonName",
    "OperatingStartDate",
    "OperatingEndDate",
    "ContinuumProject",
    "ProjectType",
    "HousingType",
    "RRHSubType",
    "ResidentialAffiliation",
    "TargetPopulation",
    "HOPWAMedAssistedLivingFac",
    "PITCount",
    *METADATA,
)
FUNDER = ("FunderID", "ProjectID", "Funder", "OtherFunder", "GrantID", "StartDate", "EndDate", *METADATA)
PROJECT_COC = (
    "ProjectCoCID",
    "ProjectID",
    "CoCCode",
    "Geocode",
    "Address1",
    "Address2",
    "City",
    "State",
    "ZIP",
    "GeographyType",
    *METADATA,
)
INVENTORY = (
    "InventoryID",
    "ProjectID",
    "CoCCode",
    "HouseholdType",
    "Availability",
    "UnitInventory",
    "BedInventory",
    "CHVetBedInventory",
    "YouthVetBedInventory",
    "VetBedInventory",
    "CHYouthBedInventory",
    "YouthBedInventory",
    "CHBedInventory",
    "OtherBedInventory",
    "ESBedType",
    "InventoryStartDate",
    "InventoryEndDate",
    *METADATA,
)
USER = (
    "UserID",
    "UserFirstName",
    "UserLastName",
    "UserPhone",
    "UserExtension",
    "UserEmail",
    "DateCreated",
    "DateUpdated",
    "DateDeleted",
    "ExportID",
)
RACE_COLUMNS = (
    "AmIndAKNative",
    "Asian",
    "BlackAfAmerican",
    "HispanicLatinao",  # FY2024's HispanicLatinaeo, relabelled in FY2026 [verify]
    "MidEastNAfrican",
    "NativeHIPacific",
    "White",
)
THEATRE_COLUMNS = (
    "WorldWarII",
    "KoreanWar",
    "VietnamWar",
    "DesertStorm",
    "AfghanistanOEF",
    "IraqOIF",
    "IraqOND",
    "OtherTheater",
)
CLIENT = (
    "PersonalID",
    "FirstName",
    "MiddleName",
    "LastName",
    "NameSuffix",
    "NameDataQuality",
    "SSN",
    "SSNDataQuality",
    "DOB",
    "DOBDataQuality",
    *RACE_COLUMNS,
    "RaceNone",
    "AdditionalRaceEthnicity",
    "Sex",
    "VeteranStatus",
    "YearEnteredService",
    "YearSeparated",
    *THEATRE_COLUMNS,
    "MilitaryBranch",
    "DischargeStatus",
    *METADATA,
)
ENROLLMENT = (
    "EnrollmentID",
    "PersonalID",
    "ProjectID",
    "EntryDate",
    "HouseholdID",
    "RelationshipToHoH",
    "EnrollmentCoC",
    "LivingSituation",
    "RentalSubsidyType",
    "LengthOfStay",
    "LOSUnderThreshold",
    "PreviousStreetESSH",
    "DateToStreetESSH",
    "TimesHomelessPastThreeYears",
    "MonthsHomelessPastThreeYears",
    "DisablingCondition",
    "DateOfEngagement",
    "MoveInDate",
    "TranslationNeeded",
    "PreferredLanguage",
    *METADATA,
)
EXIT = (
    "ExitID",
    "EnrollmentID",
    "PersonalID",
    "ExitDate",
    "Destination",
    "DestinationSubsidyType",
    "OtherDestination",
    *METADATA,
)
SERVICES = (
    "ServicesID",
    "EnrollmentID",
    "PersonalID",
    "DateProvided",
    "RecordType",
    "TypeProvided",
    "OtherTypeProvided",
    "MovingOnOtherType",
    "SubTypeProvided",
    "FAAmount",
    "FAStartDate",
    "FAEndDate",
    "ReferralOutcome",
    *METADATA,
)

#: Every file caseflow writes, in the order written (and listed in the zip).
FILES: Mapping[str, tuple[str, ...]] = {
    "Export.csv": EXPORT,
    "Organization.csv": ORGANIZATION,
    "User.csv": USER,
    "Project.csv": PROJECT,
    "Funder.csv": FUNDER,
    "ProjectCoC.csv": PROJECT_COC,
    "Inventory.csv": INVENTORY,
    "Client.csv": CLIENT,
    "Enrollment.csv": ENROLLMENT,
    "Exit.csv": EXIT,
    "Services.csv": SERVICES,
}

# -- value lists ----------------------------------------------------------------------------------

NOT_COLLECTED = 99
#: List 1.7: No / Yes (race flags, yes-no descriptor fields).
NO_YES = (0, 1)
NO_YES_MISSING = (0, 1, 99)
#: List 1.8: No, Yes, Client doesn't know, Client prefers not to answer, Data not collected.
NO_YES_REASONS = (0, 1, 8, 9, 99)
#: Lists 3.01.5, 3.02.2, 3.03.2: full, partial, doesn't know, prefers not to answer, not collected.
DATA_QUALITY = (1, 2, 8, 9, 99)
RACE_NONE = (8, 9, 99)
#: 4.21 Sex (FY2026) [verify].
SEX = (0, 1, 8, 9, 99)
#: 3.15.1: self (head of household), child, spouse or partner, other relative, unrelated member.
RELATIONSHIP_TO_HOH = (1, 2, 3, 4, 5, 99)
#: 3.917 prior living situation (FY2024's three-digit codes) [verify].
LIVING_SITUATION = (
    *(101, 116, 118),  # homeless
    *(204, 205, 206, 207, 215, 225),  # institutional
    *(302, 312, 313, 314, 327, 329, 332),  # temporary
    *(410, 411, 421, 422, 423, 426, 435),  # permanent
    *(8, 9, 99),
)
#: 3.12 destination: the living situations, and 17 other, 24 deceased, 30 no exit interview [verify].
DESTINATION = (*LIVING_SITUATION[:-3], 17, 24, 30, 8, 9, 99)
#: 2.02.6 project type: 6 is Services Only.
PROJECT_TYPE = (0, 1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12, 13, 14)
SERVICES_ONLY = 6
GEOGRAPHY_TYPE = (1, 2, 3, 99)
#: 1.3 export source type: 2 is a standalone or agency-specific application.
SOURCE_TYPE = (1, 2, 3, 4)
#: 1.1 export period type: 3 is a reporting period.
EXPORT_PERIOD_TYPE = (1, 2, 3, 4)
#: 1.2 export directive: 2 is a full refresh.
EXPORT_DIRECTIVE = (1, 2, 3)
#: 1.5 hash status: 1 is unhashed.
HASH_STATUS = (1, 2, 3, 4)
#: Services.csv record types [verify list].
RECORD_TYPE = (141, 142, 143, 144, 151, 152, 161, 200, 210, 300)

#: (file, column) -> the codes allowed; an empty cell is allowed only where :data:`OPTIONAL` says.
CODES: Mapping[tuple[str, str], tuple[int, ...]] = {
    ("Export.csv", "SourceType"): SOURCE_TYPE,
    ("Export.csv", "ExportPeriodType"): EXPORT_PERIOD_TYPE,
    ("Export.csv", "ExportDirective"): EXPORT_DIRECTIVE,
    ("Export.csv", "HashStatus"): HASH_STATUS,
    ("Organization.csv", "VictimServiceProvider"): NO_YES,
    ("Project.csv", "ContinuumProject"): NO_YES_MISSING,
    ("Project.csv", "ProjectType"): PROJECT_TYPE,
    ("Project.csv", "HOPWAMedAssistedLivingFac"): (0, 1, 2, 99),
    ("ProjectCoC.csv", "GeographyType"): GEOGRAPHY_TYPE,
    ("Client.csv", "NameDataQuality"): DATA_QUALITY,
    ("Client.csv", "SSNDataQuality"): DATA_QUALITY,
    ("Client.csv", "DOBDataQuality"): DATA_QUALITY,
    **{("Client.csv", column): NO_YES for column in RACE_COLUMNS},
    ("Client.csv", "RaceNone"): RACE_NONE,
    ("Client.csv", "Sex"): SEX,
    ("Client.csv", "VeteranStatus"): NO_YES_REASONS,
    ("Enrollment.csv", "RelationshipToHoH"): RELATIONSHIP_TO_HOH,
    ("Enrollment.csv", "LivingSituation"): LIVING_SITUATION,
    ("Enrollment.csv", "DisablingCondition"): NO_YES_REASONS,
    ("Enrollment.csv", "TranslationNeeded"): NO_YES_REASONS,
    ("Exit.csv", "Destination"): DESTINATION,
    ("Services.csv", "RecordType"): RECORD_TYPE,
}
#: Coded columns that may be left empty (asked only for some people, or not applicable).
OPTIONAL: frozenset[tuple[str, str]] = frozenset(
    {("Client.csv", "RaceNone"), ("Project.csv", "HOPWAMedAssistedLivingFac")}
)

#: Columns holding an id (strings of up to 32 characters, HUD's S32).
ID_COLUMNS = frozenset(
    {
        "ExportID",
        "SourceID",
        "OrganizationID",
        "ProjectID",
        "ProjectCoCID",
        "FunderID",
        "InventoryID",
        "UserID",
        "PersonalID",
        "EnrollmentID",
        "HouseholdID",
        "ExitID",
        "ServicesID",
    }
)
ID_LENGTH = 32
SOURCE_ID_LENGTH = 350  # FY2026: Export.SourceID grows to 350 characters
#: Columns holding a date, written YYYY-MM-DD.
DATE_COLUMNS = frozenset(
    {
        "ExportStartDate",
        "ExportEndDate",
        "OperatingStartDate",
        "OperatingEndDate",
        "StartDate",
        "EndDate",
        "InventoryStartDate",
        "InventoryEndDate",
        "DOB",
        "EntryDate",
        "DateToStreetESSH",
        "DateOfEngagement",
        "MoveInDate",
        "ExitDate",
        "DateProvided",
        "FAStartDate",
        "FAEndDate",
    }
)
#: Columns holding a date and time, written YYYY-MM-DD HH:MM:SS.
DATETIME_COLUMNS = frozenset({"ExportDate", "DateCreated", "DateUpdated", "DateDeleted"})
#: Columns that must not be empty (keys and the export's own facts).
REQUIRED = frozenset(
    {
        "ExportID",
        "ExportDate",
        "ExportStartDate",
        "ExportEndDate",
        "CSVVersion",
        "OrganizationID",
        "ProjectID",
        "ProjectCoCID",
        "FunderID",
        "InventoryID",
        "PersonalID",
        "EnrollmentID",
        "EntryDate",
        "ExitID",
        "ExitDate",
        "ServicesID",
        "DateCreated",
        "DateUpdated",
    }
)

#: The HUD data element each coded column records, for the "not collected" summary.
ELEMENTS: Mapping[str, str] = {
    "NameDataQuality": "3.01 Name",
    "SSNDataQuality": "3.02 Social Security Number",
    "DOBDataQuality": "3.03 Date of Birth",
    "RaceNone": "3.04 Race and Ethnicity",
    "Sex": "4.21 Sex",
    "VeteranStatus": "3.07 Veteran Status",
    "RelationshipToHoH": "3.15 Relationship to Head of Household",
    "LivingSituation": "3.917 Prior Living Situation",
    "DisablingCondition": "3.08 Disabling Condition",
    "TranslationNeeded": "C4 Translation Assistance Needed",
    "Destination": "3.12 Destination",
    "ContinuumProject": "2.02 Continuum Project",
    "GeographyType": "2.03 Geography Type",
}
