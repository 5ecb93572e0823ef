function remember_call() {
	var id = KSR.pv.get("$ci").replace(/[^A-Za-z0-9]/g, "");
	KSR.pv.sets("$var(call_" + id + ")", KSR.pv.get("$rm"));
}
