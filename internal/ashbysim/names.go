package ashbysim

// Word lists for generated values. Names mix several languages on purpose,
// so loaders meet non-ASCII text and apostrophes. All e-mail domains are
// reserved example domains and all phone numbers use the fictional 555
// range.

var firstNames = []string{
	"Ada", "Alan", "Grace", "Linus", "Margaret", "Dennis", "Barbara", "Ken",
	"Frances", "Edsger", "Radia", "Tim", "Hedy", "Donald", "Shafi", "Niklaus",
	"José", "Zoë", "Søren", "Aiko", "Chloé", "Łukasz", "Mónica", "François",
	"Priya", "Wei", "Olusegun", "Fatima", "Mateo", "Ingrid", "Kwame", "Yuki",
	"Anaïs", "Bjørn", "Carmen", "Dmitri", "Elif", "Farah", "Giulia", "Hiroshi",
	"Isabela", "Jamal", "Kateřina", "Lars", "Mei", "Nadia", "Omar", "Paulo",
	"Quinn", "Rosa", "Sanjay", "Tereza", "Uma", "Viktor", "Wanjiru", "Xavier",
	"Yara", "Zhang", "Amara", "Noor",
}

var lastNames = []string{
	"Lovelace", "Turing", "Hopper", "Torvalds", "Hamilton", "Ritchie", "Liskov",
	"Thompson", "Allen", "Dijkstra", "Perlman", "Berners-Lee", "Lamarr", "Knuth",
	"Goldwasser", "Wirth", "García", "Müller", "O'Brien", "Nguyen", "Kowalski",
	"Johansson", "Okafor", "Rossi", "Tanaka", "Dubois", "Silva", "Novák",
	"Haddad", "Petrov", "Yılmaz", "Mensah", "Fernández", "Schmidt", "Andersen",
	"Kim", "Park", "Singh", "Chen", "Wang", "Ivanova", "Costa", "de la Cruz",
	"van der Berg", "McAllister", "Nakamura", "Abara", "Lindqvist", "Moreau",
	"Horvát",
}

var exampleDomains = []string{"example.com", "example.org", "example.net", "mail.example"}

var companies = []string{
	"Northwind Traders", "Contoso", "Fabrikam", "Globex", "Initech",
	"Umbrella Analytics", "Stark Industries", "Wayne Enterprises", "Hooli",
	"Pied Piper", "Vandelay Industries", "Acme Robotics", "Tyrell Systems",
	"Cyberdyne Labs", "Soylent Foods", "Massive Dynamic", "Oceanic Logistics",
	"Aperture Science", "Blue Sun", "Gringotts Finance",
}

var schools = []string{
	"Example State University", "Northfield Institute of Technology",
	"University of Sampleton", "Lakeside College", "Riverside Polytechnic",
	"Technische Hochschule Beispielstadt", "Université d'Exemple",
	"Instituto Tecnológico de Muestra", "Hillcrest University",
	"Coastal School of Design",
}

var positions = []string{
	"Software Engineer", "Senior Software Engineer", "Staff Engineer",
	"Engineering Manager", "Product Manager", "Product Designer",
	"Data Scientist", "Data Engineer", "Site Reliability Engineer",
	"Account Executive", "Sales Development Representative",
	"Customer Success Manager", "Recruiter", "People Partner",
	"Financial Analyst", "Marketing Manager", "Content Strategist",
	"Security Engineer", "QA Engineer", "Technical Writer",
}

var jobTitles = []string{
	"Backend Engineer", "Frontend Engineer", "Full-Stack Engineer",
	"Senior Backend Engineer", "Staff Platform Engineer", "Engineering Manager, Payments",
	"Product Manager, Growth", "Senior Product Designer", "Data Scientist",
	"Analytics Engineer", "Site Reliability Engineer", "Security Engineer",
	"Account Executive, EMEA", "Sales Development Representative",
	"Customer Success Manager", "Technical Recruiter", "People Partner",
	"Financial Analyst", "Product Marketing Manager", "Technical Writer",
	"iOS Engineer", "Android Engineer", "Machine Learning Engineer",
	"Solutions Architect", "Office Manager",
}

// city is a place used for office locations and candidate locations.
type city struct {
	name, region, country, timezone, postalCode, street string
}

var cities = []city{
	{"San Francisco", "California", "United States", "America/Los_Angeles", "94108", "49 Geary St"},
	{"New York", "New York", "United States", "America/New_York", "10013", "120 Hudson St"},
	{"Austin", "Texas", "United States", "America/Chicago", "78701", "500 Congress Ave"},
	{"Seattle", "Washington", "United States", "America/Los_Angeles", "98101", "1420 5th Ave"},
	{"Toronto", "Ontario", "Canada", "America/Toronto", "M5V 2T6", "200 Wellington St W"},
	{"London", "England", "United Kingdom", "Europe/London", "EC2A 4BX", "1 Finsbury Ave"},
	{"Berlin", "Berlin", "Germany", "Europe/Berlin", "10117", "Friedrichstraße 68"},
	{"Paris", "Île-de-France", "France", "Europe/Paris", "75002", "12 Rue de la Paix"},
	{"Amsterdam", "North Holland", "Netherlands", "Europe/Amsterdam", "1017 CE", "Keizersgracht 100"},
	{"Stockholm", "Stockholm County", "Sweden", "Europe/Stockholm", "111 52", "Vasagatan 10"},
	{"Madrid", "Community of Madrid", "Spain", "Europe/Madrid", "28013", "Gran Vía 32"},
	{"Dublin", "Leinster", "Ireland", "Europe/Dublin", "D02 X285", "20 Harcourt St"},
	{"Zürich", "Zürich", "Switzerland", "Europe/Zurich", "8001", "Bahnhofstrasse 45"},
	{"Warsaw", "Masovia", "Poland", "Europe/Warsaw", "00-001", "ul. Marszałkowska 84"},
	{"Tokyo", "Tokyo", "Japan", "Asia/Tokyo", "100-0005", "1-1 Marunouchi"},
	{"Singapore", "Central Region", "Singapore", "Asia/Singapore", "018989", "8 Marina View"},
	{"Bengaluru", "Karnataka", "India", "Asia/Kolkata", "560001", "12 MG Road"},
	{"Sydney", "New South Wales", "Australia", "Australia/Sydney", "2000", "200 George St"},
	{"São Paulo", "São Paulo", "Brazil", "America/Sao_Paulo", "01310-100", "Av. Paulista 1000"},
	{"Mexico City", "Mexico City", "Mexico", "America/Mexico_City", "06600", "Paseo de la Reforma 250"},
	{"Nairobi", "Nairobi County", "Kenya", "Africa/Nairobi", "00100", "Kenyatta Ave 15"},
	{"Lisbon", "Lisbon", "Portugal", "Europe/Lisbon", "1250-096", "Av. da Liberdade 110"},
}

var topDepartments = []string{
	"Engineering", "Product", "Design", "Sales", "Marketing", "Customer Success",
	"People", "Finance", "Operations", "Legal",
}

var teamNames = []string{
	"Platform", "Payments", "Growth", "Infrastructure", "Mobile", "Data",
	"Security", "Developer Experience", "Enterprise Sales", "SMB Sales",
	"Brand", "Demand Generation", "Support", "Talent Acquisition",
	"Accounting", "IT", "Research", "Billing", "Search", "Integrations",
}

var tagTitles = []string{
	"Senior", "Strong referral", "Silver medalist", "Needs visa sponsorship",
	"Open to relocation", "Bootcamp graduate", "Open source contributor",
	"Returning candidate", "Former employee", "Conference lead",
	"Diversity outreach", "Fast track", "Do not contact", "Hackathon",
	"Campus 2024", "Leadership potential", "Remote only", "Part-time interest",
}

var userAgents = []string{
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0",
	"Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
	"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.0.0 Safari/537.36",
}

var longTextNotes = []string{
	"Strong systems background.\nPrefers \"remote-first\" teams; asked about on-call load.",
	"Met at the regional meetup. Follow up after Q3 planning.",
	"Portfolio reviewed by design: clear process, weak on research.\n\nSecond opinion requested.",
	"Candidate asked us not to contact the current employer.",
	"Relocation package discussed: 3 months of housing, flights for family of 4.",
	"Notes from referrer:\n- worked together for 2 years\n- excellent mentor\n- wants to move into management",
}
