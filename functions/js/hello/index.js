exports.handler = async (e) => ({ ok: true, e })
