/* codes.c: the code tables (see codes.h). National standards keep their numeric codes;
 * the platform's own enumerations use short ASCII codes where the API names them
 * (member states) and the Chinese term itself where the contract says so (org types
 * and domains). */
#include "model/codes.h"
#include <string.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct code_entry sex[] = {{"0", "未知"}, {"1", "男"}, {"2", "女"}, {"9", "未说明"}};

static const struct code_entry ethnicity[] = {
	{"01", "汉族"}, {"02", "蒙古族"}, {"03", "回族"}, {"04", "藏族"}, {"05", "维吾尔族"},
	{"06", "苗族"}, {"07", "彝族"}, {"08", "壮族"}, {"09", "布依族"}, {"10", "朝鲜族"},
	{"11", "满族"}, {"12", "侗族"}, {"13", "瑶族"}, {"14", "白族"}, {"15", "土家族"},
	{"16", "哈尼族"}, {"17", "哈萨克族"}, {"18", "傣族"}, {"19", "黎族"}, {"20", "傈僳族"},
	{"21", "佤族"}, {"22", "畲族"}, {"23", "高山族"}, {"24", "拉祜族"}, {"25", "水族"},
	{"26", "东乡族"}, {"27", "纳西族"}, {"28", "景颇族"}, {"29", "柯尔克孜族"}, {"30", "土族"},
	{"31", "达斡尔族"}, {"32", "仫佬族"}, {"33", "羌族"}, {"34", "布朗族"}, {"35", "撒拉族"},
	{"36", "毛南族"}, {"37", "仡佬族"}, {"38", "锡伯族"}, {"39", "阿昌族"}, {"40", "普米族"},
	{"41", "塔吉克族"}, {"42", "怒族"}, {"43", "乌孜别克族"}, {"44", "俄罗斯族"}, {"45", "鄂温克族"},
	{"46", "德昂族"}, {"47", "保安族"}, {"48", "裕固族"}, {"49", "京族"}, {"50", "塔塔尔族"},
	{"51", "独龙族"}, {"52", "鄂伦春族"}, {"53", "赫哲族"}, {"54", "门巴族"}, {"55", "珞巴族"},
	{"56", "基诺族"}, {"97", "其他"}, {"98", "外国血统中国籍人士"},
};

static const struct code_entry education[] = {
	{"10", "研究生教育"}, {"11", "博士研究生毕业"}, {"12", "博士研究生结业"}, {"13", "博士研究生肄业"},
	{"14", "硕士研究生毕业"}, {"15", "硕士研究生结业"}, {"16", "硕士研究生肄业"},
	{"17", "研究生班毕业"}, {"18", "研究生班结业"}, {"19", "研究生班肄业"},
	{"20", "大学本科教育"}, {"21", "大学本科毕业"}, {"22", "大学本科结业"}, {"23", "大学本科肄业"},
	{"28", "大学普通班毕业"},
	{"30", "大学专科教育"}, {"31", "大学专科毕业"}, {"32", "大学专科结业"}, {"33", "大学专科肄业"},
	{"40", "中等职业教育"}, {"41", "中等专科毕业"}, {"42", "中等专科结业"}, {"43", "中等专科肄业"},
	{"44", "职业高中毕业"}, {"45", "职业高中结业"}, {"46", "职业高中肄业"},
	{"47", "技工学校毕业"}, {"48", "技工学校结业"}, {"49", "技工学校肄业"},
	{"60", "普通高级中学教育"}, {"61", "普通高中毕业"}, {"62", "普通高中结业"}, {"63", "普通高中肄业"},
	{"70", "初级中学教育"}, {"71", "初中毕业"}, {"73", "初中肄业"},
	{"80", "小学教育"}, {"81", "小学毕业"}, {"83", "小学肄业"},
	{"90", "其他"},
};

static const struct code_entry political_status[] = {
	{"01", "中共党员"}, {"02", "中共预备党员"}, {"03", "共青团员"}, {"04", "民革党员"},
	{"05", "民盟盟员"}, {"06", "民建会员"}, {"07", "民进会员"}, {"08", "农工党党员"},
	{"09", "致公党党员"}, {"10", "九三学社社员"}, {"11", "台盟盟员"}, {"12", "无党派人士"},
	{"13", "群众"},
};

static const struct code_entry org_type[] = {
	{"党委", "党委"}, {"党工委", "党工委"}, {"党总支", "党总支"},
	{"党支部", "党支部"}, {"联合党支部", "联合党支部"}, {"党小组", "党小组"},
};

static const struct code_entry org_label[] = {
	{"街道党工委", "街道党工委"}, {"区域党委", "区域党委"}, {"社区党委", "社区党委"},
	{"网格党支部", "网格党支部"}, {"楼院党小组", "楼院党小组"},
};

static const struct code_entry org_domain[] = {
	{"社区", "社区"}, {"非公企业", "非公企业"}, {"社会组织", "社会组织"}, {"机关", "机关"},
	{"学校", "学校"}, {"国企", "国企"}, {"事业单位", "事业单位"}, {"农村", "农村"}, {"其他", "其他"},
};

static const struct code_entry member_state[] = {
	{"normal", "正常"}, {"floating", "流动（外出）"}, {"lost", "失联"}, {"abroad", "出国（境）暂留"},
	{"suspended", "停止党籍"}, {"transfer_out", "转出（在途）"}, {"withdrawn", "自动退党"},
	{"removed", "除名"}, {"expelled", "开除党籍"}, {"deceased", "去世"},
};

static const struct code_entry party_status[] = {{"formal", "正式党员"}, {"probationary", "预备党员"}};

static const struct code_entry person_category[] = {
	{"worker", "工人"}, {"farmer", "农牧渔民"}, {"professional", "专业技术人员"},
	{"manager", "企事业管理人员"}, {"official", "党政机关工作人员"}, {"student", "学生"},
	{"retired", "离退休人员"}, {"other", "其他"},
};

static const struct code_entry unit_type[] = {
	{"机关", "机关"}, {"事业", "事业单位"}, {"国企", "国有企业"}, {"非公企业", "非公有制企业"},
	{"社会组织", "社会组织"}, {"农村", "农村"}, {"社区", "社区"}, {"其他", "其他"},
};

static const struct code_entry lost_contact_reason[] = {
	{"work_away", "外出务工经商"}, {"unit_closed", "单位改制破产"}, {"graduated", "毕业后去向不明"},
	{"job_change", "变更工作单位"}, {"abroad", "出国（境）"}, {"moved", "变更住所"}, {"other", "其他"},
};

static const struct code_entry committee_role[] = {
	{"secretary", "书记"}, {"deputy_secretary", "副书记"}, {"organization", "组织委员"},
	{"propaganda", "宣传委员"}, {"discipline", "纪检委员"}, {"youth", "青年委员"},
	{"united_front", "统战委员"}, {"secrecy", "保密委员"}, {"women", "妇女委员"}, {"member", "委员"},
};

#define T(name, title) \
	static const struct code_table t_##name = {#name, title, name, N(name)}
T(sex, "性别");
T(ethnicity, "民族");
T(education, "学历");
T(political_status, "政治面貌");
T(org_type, "党组织类别");
T(org_label, "党组织习惯称谓");
T(org_domain, "党组织所在领域");
T(member_state, "党籍状态");
T(party_status, "党员类别");
T(person_category, "人员类别");
T(unit_type, "工作单位性质");
T(lost_contact_reason, "失联原因");
T(committee_role, "委员职务");

const struct code_table *const codes_tables[] = {
	&t_sex, &t_ethnicity, &t_education, &t_political_status, &t_org_type, &t_org_label,
	&t_org_domain, &t_member_state, &t_party_status, &t_person_category, &t_unit_type,
	&t_lost_contact_reason, &t_committee_role, NULL,
};

const struct code_table *codes_table(const char *table)
{
	if (!table)
		return NULL;
	for (const struct code_table *const *t = codes_tables; *t; t++)
		if (strcmp((*t)->table, table) == 0)
			return *t;
	return NULL;
}

const char *codes_name(const char *table, const char *code)
{
	const struct code_table *t = codes_table(table);
	if (!t || !code)
		return NULL;
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->items[i].code, code) == 0)
			return t->items[i].name;
	return NULL;
}

const char *codes_lookup(const char *table, const char *text)
{
	const struct code_table *t = codes_table(table);
	if (!t || !text)
		return NULL;
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->items[i].code, text) == 0 || strcmp(t->items[i].name, text) == 0)
			return t->items[i].code;
	return NULL;
}

bool codes_valid(const char *table, const char *code)
{
	return codes_name(table, code) != NULL;
}

bool codes_edu_college_plus(const char *code)
{
	return code && code[0] >= '1' && code[0] <= '3' && code[1] >= '0' && code[1] <= '9' && !code[2];
}

bool codes_two_new_domain(const char *domain)
{
	return domain && (strcmp(domain, "非公企业") == 0 || strcmp(domain, "社会组织") == 0);
}

bool codes_two_new_unit(const char *unit_type_code)
{
	return codes_two_new_domain(unit_type_code);
}
